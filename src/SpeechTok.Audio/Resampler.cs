using SpeechTok.Tensors;

namespace SpeechTok.Audio;

/// <summary>
/// Band-limited rational resampling, the same as torchaudio's default <c>torchaudio.functional.resample</c>
/// (Hann-windowed sinc, <c>lowpass_filter_width</c> 6, <c>rolloff</c> 0.99), which the original pipeline
/// applies to every clip that is not at 16 kHz. With the rates reduced by their gcd to orig/new and
/// base = min(orig, new)·rolloff, output sample n = f·new + i (phase i) is
/// y[n] = Σ_m x[m]·h(m/orig − n/new), h(τ) = (base/orig)·sinc(π·base·τ)·cos²(π·base·τ/(2·width)) for
/// |base·τ| &lt; width and 0 beyond; samples outside the clip count as 0; the output has ceil(len·new/orig)
/// samples. Taps are computed in float32 as torchaudio does, sums in float64 (torchaudio: float32).
/// </summary>
public static class Resampler
{
    private const int LowpassFilterWidth = 6;
    private const double Rolloff = 0.99;

    /// <summary>How many samples <see cref="Resample"/> makes of <paramref name="length"/>: ceil(length·toRate/fromRate), computed
    /// with the rates reduced as it does (a length can thus be known from a header, without decoding).</summary>
    public static long OutputLength(long length, int fromRate, int toRate)
    {
        int g = Gcd(fromRate, toRate);
        return (long)Math.Ceiling((double)(toRate / g * length) / (fromRate / g));
    }

    /// <param name="x">Mono samples at <paramref name="fromRate"/> Hz.</param>
    /// <returns>ceil(x.Length·toRate/fromRate) samples at <paramref name="toRate"/> Hz (a copy when the rates are equal).</returns>
    /// <exception cref="ArgumentOutOfRangeException">A rate is not positive.</exception>
    public static float[] Resample(ReadOnlySpan<float> x, int fromRate, int toRate)
    {
        if (fromRate <= 0 || toRate <= 0) throw new ArgumentOutOfRangeException(nameof(fromRate), $"sample rates must be positive ({fromRate} → {toRate})");
        if (fromRate == toRate) return x.ToArray();
        int g = Gcd(fromRate, toRate);
        int orig = fromRate / g, next = toRate / g;
        long outLen = OutputLength(x.Length, fromRate, toRate);
        if (outLen > Array.MaxLength) throw new SpeechTokException($"resampling {x.Length} samples from {fromRate} to {toRate} Hz gives too many samples");
        // A short clip needs only its first phases: with coprime rates (e.g. 44101 Hz) there can be thousands.
        var (start, offset, taps) = Kernels(orig, next, (int)Math.Min(next, outLen));

        var y = new float[outLen];
        var xs = x.ToArray();
        Threading.ForRange((int)outLen, 4096, (lo, hi) =>
        {
            for (int n = lo; n < hi; n++)
            {
                long f = n / next;
                int i = n % next;
                long first = f * orig + start[i]; // input sample of the phase's first tap
                int len = offset[i + 1] - offset[i];
                int j0 = (int)Math.Clamp(-first, 0, len), j1 = (int)Math.Clamp(xs.Length - first, 0, len);
                double acc = 0;
                for (int j = j0; j < j1; j++) acc += taps[offset[i] + j] * xs[first + j];
                y[n] = (float)acc;
            }
        });
        return y;
    }

    /// <summary>
    /// The kernel of each output phase i (0..phases−1 of next) over input offsets d from f·orig: taps
    /// [offset[i], offset[i+1]) for d = start[i], start[i]+1, …, kept only where |t| &lt; width (torchaudio
    /// clamps t there, where the window is cos²(π/2) = 0). Each tap is computed in float32 in torchaudio's
    /// order of operations, as torchaudio does for a float32 waveform: its rounding of t moves the output by up
    /// to ~1e-5 (22.05 kHz), more than the 1e-6 by which float32 and float64 sums differ.
    /// </summary>
    private static (int[] Start, int[] Offset, float[] Taps) Kernels(int orig, int next, int phases)
    {
        double baseFreq = Math.Min(orig, next) * Rolloff;
        float base32 = (float)baseFreq, scale32 = (float)(baseFreq / orig), pi32 = MathF.PI;
        double reach = LowpassFilterWidth * (double)orig / baseFreq; // half-length in input samples
        var start = new int[phases];
        var offset = new int[phases + 1];
        var taps = new List<float>();
        for (int i = 0; i < phases; i++)
        {
            double centre = (double)i * orig / next;
            int dLo = (int)Math.Floor(centre - reach) - 1, dHi = (int)Math.Ceiling(centre + reach) + 1;
            offset[i] = taps.Count;
            bool started = false;
            float phase = -(float)i / next;
            for (int d = dLo; d <= dHi; d++)
            {
                // t = (−i/next + d/orig)·base, in units of zero crossings
                float t = (phase + (float)d / orig) * base32;
                if (MathF.Abs(t) >= LowpassFilterWidth)
                {
                    if (started) break;
                    continue;
                }
                if (!started) { start[i] = d; started = true; }
                float c = MathF.Cos(t * pi32 / LowpassFilterWidth / 2);
                float window = c * c;
                float pt = t * pi32;
                float sinc = pt == 0 ? 1f : MathF.Sin(pt) / pt;
                taps.Add(sinc * (window * scale32));
            }
        }
        offset[phases] = taps.Count;
        return (start, offset, taps.ToArray());
    }

    private static int Gcd(int a, int b)
    {
        while (b != 0) (a, b) = (b, a % b);
        return a;
    }
}
