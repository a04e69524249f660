namespace SpeechTok.Experiments.Demo;

/// <summary>One planned clip: what espeak-ng says, how it says it, and where the clip lands in the manifest.</summary>
internal sealed record DemoUtterance(
    int Id, string Split, int Index, string Text, int Polarity, int Arousal, int Label,
    string Voice, int Pitch, int Speed, int Amplitude, int WordGap, double NoiseDbfs, ulong NoiseSeed)
{
    public string ClipPath => $"clips/u{Id:D4}.wav";
}
