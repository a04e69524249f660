namespace SpeechTok.Experiments.Demo;

/// <summary>
/// One planned clip: what espeak-ng says, how it says it, and where the clip lands in the manifest. <see cref="Labels"/>
/// holds the one class of a single-label labeling, or the label set of <see cref="DemoLabeling.MultiLabel"/> (where
/// <see cref="Arousal"/> is −1: the voice factors are labels 1–3 instead).
/// </summary>
internal sealed record DemoUtterance(
    int Id, string Split, int Index, string Text, int Polarity, int Arousal, int[] Labels,
    string Voice, int Pitch, int Speed, int Amplitude, int WordGap, double NoiseDbfs, ulong NoiseSeed)
{
    public string ClipPath => $"clips/u{Id:D4}.wav";
}
