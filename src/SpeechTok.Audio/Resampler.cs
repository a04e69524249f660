using SpeechTok.Tensors;

namespace SpeechTok.Audio;

/// <summary>
/// Band-limited rational resampling (polyphase windowed sinc, Kaiser window). For rates in ratio L/M
/// (reduced), output sample n sits at input time n·M/L; its L possible fractional phases each get a
/// precomputed filter row. Cutoff = 0.9 × the lower Nyquist, 48 zero crossings, β = 8.6 (≈ −90 dB stopband).
/// Zero phase: output sample 0 aligns with input sample 0 (no delay), like sox.
/// </summary>
public static class Resampler
{
    private const double Rolloff = 0.9, Beta = 8.6;
    private const int ZeroCrossings = 48;

    public static float[] Resample(ReadOnlySpan<float> x, int fromRate, int toRate)
    {
        if (fromRate <= 0 || toRate <= 0) throw new ArgumentOutOfRangeException(nameof(fromRate), $"sample rates must be positive ({fromRate} → {toRate})");
        if (fromRate == toRate) return x.ToArray();
        int g = Gcd(fromRate, toRate);
        int L = toRate / g, M = fromRate / g;
        // Cutoff in cycles per input sample; the kernel spans ZeroCrossings lobes each side.
        double fc = 0.5 * Rolloff * Math.Min(1.0, (double)L / M);
        int half = (int)Math.Ceiling(ZeroCrossings / (2 * fc));
        int taps = 2 * half;
        var table = new float[(long)L * taps];
        double i0b = BesselI0(Beta);
        for (int p = 0; p < L; p++)
            for (int j = 0; j < taps; j++)
            {
                // tap j multiplies input sample base - half + 1 + j; tau = output time - input time.
                double tau = (double)p / L + half - 1 - j;
                double r = tau / half;
                double w = Math.Abs(r) >= 1 ? 0 : BesselI0(Beta * Math.Sqrt(1 - r * r)) / i0b;
                double arg = 2 * fc * tau;
                double sinc = arg == 0 ? 1 : Math.Sin(Math.PI * arg) / (Math.PI * arg);
                table[(long)p * taps + j] = (float)(2 * fc * sinc * w);
            }

        long outLen = ((long)x.Length * L + M - 1) / M;
        var y = new float[outLen];
        var xs = x.ToArray();
        Threading.ForRange((int)outLen, 4096, (start, end) =>
        {
            for (int n = start; n < end; n++)
            {
                long t = (long)n * M;
                long b = t / L;
                int p = (int)(t % L);
                long first = b - half + 1;
                var row = table.AsSpan((int)((long)p * taps), taps);
                int j0 = (int)Math.Max(0, -first), j1 = (int)Math.Min(taps, xs.Length - first);
                double acc = 0;
                for (int j = j0; j < j1; j++) acc += row[j] * xs[first + j];
                y[n] = (float)acc;
            }
        });
        return y;
    }

    internal static double BesselI0(double x)
    {
        double sum = 1, term = 1, q = x * x / 4;
        for (int k = 1; k < 200 && term > 1e-17 * sum; k++)
        {
            term *= q / ((double)k * k);
            sum += term;
        }
        return sum;
    }

    private static int Gcd(int a, int b)
    {
        while (b != 0) (a, b) = (b, a % b);
        return a;
    }
}
