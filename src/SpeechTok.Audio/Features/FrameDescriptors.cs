using System.Runtime.Intrinsics;
using SpeechTok.Tensors;

namespace SpeechTok.Audio.Features;

/// <summary>
/// Per-frame acoustic descriptors on the codec's frame grid (frame t covers samples [t·hop, (t+1)·hop)
/// and is analysed around its centre): F0 by YIN (0 when unvoiced), RMS energy over 2·hop samples,
/// spectral centroid of a 1024-point Hann frame, the voicing decision and YIN's periodicity (1 − d′min).
/// </summary>
public sealed record FrameDescriptors(float[] F0, float[] Rms, float[] Centroid, bool[] Voiced, float[] Periodicity)
{
    public int Frames => F0.Length;

    public const double FMin = 60, FMax = 500, YinThreshold = 0.15, SilenceRms = 1e-3;

    public static FrameDescriptors Compute(ReadOnlySpan<float> wav, int hop = 320, int sampleRate = 16000)
    {
        int frames = (wav.Length + hop - 1) / hop;
        var x = wav.ToArray();
        var f0 = new float[frames];
        var rms = new float[frames];
        var cen = new float[frames];
        var voiced = new bool[frames];
        var per = new float[frames];
        const int nFft = 1024;
        int tauMin = (int)(sampleRate / FMax), tauMax = (int)Math.Ceiling(sampleRate / FMin);
        int w = 2 * hop;
        var freqs = Stft.BinFrequencies(sampleRate, nFft);
        var hann = Stft.HannPeriodic(nFft);
        Threading.ForRange(frames, 8, (start, end) =>
        {
            var fft = new Fft(nFft);
            var re = new double[nFft];
            var im = new double[nFft];
            var mag = new float[nFft / 2 + 1];
            var d = new double[tauMax + 2];
            var diffs = new double[tauMax + 2 + Lanes];
            var seg = new float[w + tauMax + 1 + Lanes];
            for (int t = start; t < end; t++)
            {
                int c = t * hop + hop / 2;
                double e = 0;
                for (int i = c - hop; i < c + hop; i++) { double v = At(x, i); e += v * v; }
                rms[t] = (float)Math.Sqrt(e / w);

                for (int i = 0; i < nFft; i++) { re[i] = At(x, c - nFft / 2 + i) * hann[i]; im[i] = 0; }
                fft.Forward(re, im);
                for (int k = 0; k < mag.Length; k++) mag[k] = (float)Math.Sqrt(re[k] * re[k] + im[k] * im[k]);
                cen[t] = (float)BaselineFeatures.CentroidBandwidth(mag, freqs).Centroid;

                // YIN: cumulative-mean-normalised difference d′(τ) over a window of w samples.
                int s0 = c - (w + tauMax) / 2;
                double cum = 0;
                int found = -1;
                double best = double.MaxValue;
                int bestTau = -1;
                for (int i = 0; i < seg.Length; i++) seg[i] = At(x, s0 + i);
                Differences(seg, w, tauMax + 1, diffs);
                d[0] = 1;
                for (int tau = 1; tau <= tauMax + 1; tau++)
                {
                    double diff = diffs[tau];
                    cum += diff;
                    d[tau] = cum > 0 ? diff * tau / cum : 1;
                }
                for (int tau = tauMin; tau <= tauMax; tau++)
                {
                    if (d[tau] < best) { best = d[tau]; bestTau = tau; }
                    if (found < 0 && d[tau] < YinThreshold)
                    {
                        while (tau + 1 <= tauMax && d[tau + 1] < d[tau]) tau++;
                        found = tau;
                        break;
                    }
                }
                int tb = found >= 0 ? found : bestTau;
                per[t] = (float)Math.Clamp(1 - d[tb], 0, 1);
                voiced[t] = found >= 0 && rms[t] > SilenceRms;
                if (voiced[t])
                {
                    double a = d[tb - 1], b = d[tb], cc = d[tb + 1], den = a - 2 * b + cc;
                    double shift = Math.Abs(den) > 1e-12 ? Math.Clamp(0.5 * (a - cc) / den, -1, 1) : 0;
                    f0[t] = (float)(sampleRate / (tb + shift));
                }
            }
        });
        return new FrameDescriptors(f0, rms, cen, voiced, per);
    }

    internal const int Lanes = 16;

    /// <summary>
    /// YIN's difference function diff[τ] = Σ_{j&lt;w} (double)(seg[j] − seg[j+τ])² for τ = 1 … tauLast: the difference
    /// in float, as the clip's samples are, then squared and summed in double, in order of j. <see cref="Lanes"/> lags
    /// run at a time, one per vector lane, so the sums proceed side by side instead of one after another, each
    /// rounded as the plain loop rounds it (no fused multiply-add). seg holds at least w + tauLast + Lanes samples
    /// (zeros past the clip), diffs at least tauLast + Lanes + 1 entries. Without hardware vectors (emulated lanes
    /// would be slower) it is the plain loop.
    /// </summary>
    internal static void Differences(float[] seg, int w, int tauLast, double[] diffs, bool vectorised = true)
    {
        if (seg.Length < w + tauLast + Lanes || diffs.Length < tauLast + Lanes + 1)
            throw new ArgumentException($"YIN buffers too short: seg {seg.Length} < {w + tauLast + Lanes} or diffs {diffs.Length} < {tauLast + Lanes + 1}");
        if (!vectorised || !Vector256.IsHardwareAccelerated)
        {
            for (int tau = 1; tau <= tauLast; tau++)
            {
                double diff = 0;
                for (int j = 0; j < w; j++) { double u = seg[j] - seg[j + tau]; diff += u * u; }
                diffs[tau] = diff;
            }
            return;
        }
        ref float s = ref seg[0];
        for (int tau = 1; tau <= tauLast; tau += Lanes)
        {
            Vector256<double> a0 = default, a1 = default, a2 = default, a3 = default;
            for (int j = 0; j < w; j++)
            {
                var x = Vector256.Create(seg[j]);
                nuint at = (nuint)(j + tau);
                var (u0, u1) = Vector256.Widen(x - Vector256.LoadUnsafe(ref s, at));
                var (u2, u3) = Vector256.Widen(x - Vector256.LoadUnsafe(ref s, at + 8));
                a0 += u0 * u0; a1 += u1 * u1; a2 += u2 * u2; a3 += u3 * u3;
            }
            ref double o = ref diffs[tau];
            a0.StoreUnsafe(ref o); a1.StoreUnsafe(ref o, 4); a2.StoreUnsafe(ref o, 8); a3.StoreUnsafe(ref o, 12);
        }
    }

    private static float At(float[] x, int i) => (uint)i < (uint)x.Length ? x[i] : 0f;
}
