using SpeechTok.Audio.Features;

namespace SpeechTok.Codec.Builtin;

/// <summary>
/// The built-in tokenizer's frame features at 50 Hz (frame t covers samples [t·320, (t+1)·320) of 16 kHz
/// audio): 40 log-mel bands (dB) of a 512-point Hann frame centred on the frame, their deltas
/// (m[t+1]−m[t−1])/2, and two prosody dims from <see cref="FrameDescriptors"/> (log2 F0, 0 when unvoiced,
/// and voicing) so that pitch, which log-mel at this resolution barely shows, reaches the codes.
/// </summary>
internal static class BuiltinFeatures
{
    public const int SampleRate = 16000, Hop = 320, NFft = 512, NMels = 40, Dim = 2 * NMels + 2;
    private static readonly float[][] Bank = Mel.Filterbank(SampleRate, NFft, NMels, fmin: 20);

    /// <summary>Raw (unnormalised) features, frame-major [frames × Dim]; frames = ceil(len / 320).</summary>
    public static FrameMatrix Compute(ReadOnlySpan<float> wav)
    {
        int frames = (wav.Length + Hop - 1) / Hop;
        var o = new FrameMatrix(frames, Dim);
        if (frames == 0) return o;
        // Stft frames are centred on t·hop; dropping the first hop/2 samples centres them on t·hop + hop/2
        // of the original; the zeros appended keep at least `frames` frames.
        var shifted = new float[Math.Max(0, wav.Length - Hop / 2) + Hop];
        if (wav.Length > Hop / 2) wav[(Hop / 2)..].CopyTo(shifted);
        var power = Stft.Spectrogram(shifted, NFft, Hop, 2.0);
        var mel = Mel.Apply(power, Bank);
        for (int i = 0; i < mel.Data.Length; i++) mel.Data[i] = MathF.Max(-100f, 10f * MathF.Log10(MathF.Max(1e-10f, mel.Data[i])));
        var desc = FrameDescriptors.Compute(wav, Hop, SampleRate);
        for (int t = 0; t < frames; t++)
        {
            var r = o.Row(t);
            mel.Row(t).CopyTo(r);
            var prev = mel.Row(Math.Max(0, t - 1));
            var next = mel.Row(Math.Min(frames - 1, t + 1));
            for (int m = 0; m < NMels; m++) r[NMels + m] = 0.5f * (next[m] - prev[m]);
            r[2 * NMels] = desc.Voiced[t] ? MathF.Log2(desc.F0[t]) : 0f;
            r[2 * NMels + 1] = desc.Voiced[t] ? 1f : 0f;
        }
        return o;
    }
}
