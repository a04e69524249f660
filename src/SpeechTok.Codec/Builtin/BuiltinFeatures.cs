using SpeechTok.Audio.Features;

namespace SpeechTok.Codec.Builtin;

/// <summary>
/// The built-in tokenizer's frame features at 50 Hz (frame t covers samples [t·320, (t+1)·320) of 16 kHz
/// audio), in two blocks, as SpeechTokenizer separates content (layer 1) from the rest:
/// <list type="bullet">
/// <item>content [0, 80): the spectral shape, i.e. 40 log-mel bands (dB) of a 512-point Hann frame centred on the
/// frame minus their mean over the bands (so loudness is not in it), and its deltas (s[t+1]−s[t−1])/2;</item>
/// <item>prosody [80, 84): the level (mean log-mel dB), its delta, log2 F0 (<see cref="float.NaN"/> when unvoiced:
/// normalisation maps it to the voiced mean, so the dim varies with pitch, not with voicing) and voicing, from
/// <see cref="FrameDescriptors"/>.</item>
/// </list>
/// </summary>
internal static class BuiltinFeatures
{
    public const int SampleRate = 16000, Hop = 320, NFft = 512, NMels = 40;
    public const int ContentDims = 2 * NMels, ProsodyDims = 4, Dim = ContentDims + ProsodyDims;
    public const int Level = ContentDims, DeltaLevel = ContentDims + 1, LogF0 = ContentDims + 2, Voicing = ContentDims + 3;
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
        var level = new float[frames];
        for (int t = 0; t < frames; t++)
        {
            var m = mel.Row(t);
            level[t] = System.Numerics.Tensors.TensorPrimitives.Sum(m) / NMels;
            System.Numerics.Tensors.TensorPrimitives.Subtract(m, level[t], m);
        }
        var desc = FrameDescriptors.Compute(wav, Hop, SampleRate);
        for (int t = 0; t < frames; t++)
        {
            var r = o.Row(t);
            mel.Row(t).CopyTo(r);
            int prev = Math.Max(0, t - 1), next = Math.Min(frames - 1, t + 1);
            var mp = mel.Row(prev);
            var mn = mel.Row(next);
            for (int m = 0; m < NMels; m++) r[NMels + m] = 0.5f * (mn[m] - mp[m]);
            r[Level] = level[t];
            r[DeltaLevel] = 0.5f * (level[next] - level[prev]);
            r[LogF0] = desc.Voiced[t] ? MathF.Log2(desc.F0[t]) : float.NaN;
            r[Voicing] = desc.Voiced[t] ? 1f : 0f;
        }
        return o;
    }
}
