namespace SpeechTok.Audio.Features;

/// <summary>Mel filterbank, log-mel and MFCC as librosa (Slaney mel scale and area normalisation; DCT-II ortho).</summary>
public static class Mel
{
    public static double HzToMel(double f)
    {
        const double fsp = 200.0 / 3, minLogHz = 1000, minLogMel = minLogHz / fsp;
        double logstep = Math.Log(6.4) / 27;
        return f >= minLogHz ? minLogMel + Math.Log(f / minLogHz) / logstep : f / fsp;
    }

    public static double MelToHz(double m)
    {
        const double fsp = 200.0 / 3, minLogHz = 1000, minLogMel = minLogHz / fsp;
        double logstep = Math.Log(6.4) / 27;
        return m >= minLogMel ? minLogHz * Math.Exp(logstep * (m - minLogMel)) : fsp * m;
    }

    /// <summary>Weights [n_mels][n_fft/2+1]: triangles between consecutive mel-spaced edges, each scaled by 2/(f[i+2]−f[i]).</summary>
    public static float[][] Filterbank(int sampleRate, int nFft, int nMels, double fmin = 0, double? fmax = null)
    {
        double hi = fmax ?? sampleRate / 2.0;
        var fft = Stft.BinFrequencies(sampleRate, nFft);
        double mlo = HzToMel(fmin), mhi = HzToMel(hi);
        var edges = new double[nMels + 2];
        for (int i = 0; i < edges.Length; i++) edges[i] = MelToHz(mlo + (mhi - mlo) * i / (nMels + 1));
        var w = new float[nMels][];
        for (int m = 0; m < nMels; m++)
        {
            w[m] = new float[fft.Length];
            double d0 = edges[m + 1] - edges[m], d1 = edges[m + 2] - edges[m + 1], enorm = 2.0 / (edges[m + 2] - edges[m]);
            for (int k = 0; k < fft.Length; k++)
            {
                double lower = (fft[k] - edges[m]) / d0, upper = (edges[m + 2] - fft[k]) / d1;
                w[m][k] = (float)(Math.Max(0, Math.Min(lower, upper)) * enorm);
            }
        }
        return w;
    }

    /// <summary>Applies a filterbank to each frame of a (power) spectrogram.</summary>
    public static FrameMatrix Apply(FrameMatrix spec, float[][] bank)
    {
        var o = new FrameMatrix(spec.Frames, bank.Length);
        for (int t = 0; t < spec.Frames; t++)
        {
            var s = spec.Row(t);
            var r = o.Row(t);
            for (int m = 0; m < bank.Length; m++)
            {
                double acc = 0;
                var w = bank[m];
                for (int k = 0; k < s.Length; k++) acc += w[k] * s[k];
                r[m] = (float)acc;
            }
        }
        return o;
    }

    /// <summary>librosa power_to_db(ref=1, amin=1e-10, top_db): 10·log10(max(amin, S)), floored at max − top_db over the whole array.</summary>
    public static void PowerToDb(Span<float> s, double? topDb = 80)
    {
        float max = float.NegativeInfinity;
        for (int i = 0; i < s.Length; i++)
        {
            s[i] = (float)(10 * Math.Log10(Math.Max(1e-10, s[i])));
            max = Math.Max(max, s[i]);
        }
        if (topDb is double top)
            for (int i = 0; i < s.Length; i++) s[i] = Math.Max(s[i], (float)(max - top));
    }

    /// <summary>librosa.feature.mfcc: power mel spectrogram → dB (top_db 80) → DCT-II (ortho), first nMfcc coefficients.</summary>
    public static FrameMatrix Mfcc(ReadOnlySpan<float> y, int sampleRate, int nMfcc, int nFft = 2048, int hop = 512, int nMels = 128) =>
        MfccFromPower(Stft.Spectrogram(y, nFft, hop, 2.0), sampleRate, nFft, nMfcc, nMels);

    internal static FrameMatrix MfccFromPower(FrameMatrix power, int sampleRate, int nFft, int nMfcc, int nMels)
    {
        var mel = Apply(power, Filterbank(sampleRate, nFft, nMels));
        PowerToDb(mel.Data);
        var o = new FrameMatrix(mel.Frames, nMfcc);
        var basis = DctOrtho(nMfcc, nMels);
        for (int t = 0; t < mel.Frames; t++)
        {
            var x = mel.Row(t);
            var r = o.Row(t);
            for (int k = 0; k < nMfcc; k++)
            {
                double acc = 0;
                for (int n = 0; n < nMels; n++) acc += basis[k * nMels + n] * x[n];
                r[k] = (float)acc;
            }
        }
        return o;
    }

    /// <summary>Orthonormal DCT-II rows: √(2/N)·cos(πk(2n+1)/2N), row 0 scaled by 1/√2.</summary>
    internal static double[] DctOrtho(int rows, int n)
    {
        var b = new double[rows * n];
        for (int k = 0; k < rows; k++)
            for (int i = 0; i < n; i++)
                b[k * n + i] = Math.Sqrt(2.0 / n) * Math.Cos(Math.PI * k * (2 * i + 1) / (2.0 * n)) * (k == 0 ? Math.Sqrt(0.5) : 1);
        return b;
    }
}
