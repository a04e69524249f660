using SpeechTok.Tensors;
using SpeechTok.Tensors.Ops;

namespace SpeechTok.Audio.Features;

/// <summary>Short-time Fourier transform as librosa: periodic Hann window of n_fft, frames centred on t·hop.</summary>
public static class Stft
{
    /// <summary>|X|^power, frame-major, n_fft/2+1 columns; 1 + len/hop frames.</summary>
    public static FrameMatrix Spectrogram(ReadOnlySpan<float> y, int nFft, int hop, double power, PadMode pad = PadMode.Zero)
    {
        int pad2 = nFft / 2, bins = nFft / 2 + 1;
        int frames = 1 + y.Length / hop;
        var s = new FrameMatrix(frames, bins);
        var window = HannPeriodic(nFft);
        var src = y.ToArray();
        Threading.ForRange(frames, 16, (start, end) =>
        {
            var fft = new Fft(nFft);
            var re = new double[nFft];
            var im = new double[nFft];
            for (int t = start; t < end; t++)
            {
                for (int i = 0; i < nFft; i++)
                {
                    im[i] = 0;
                    re[i] = Sample(src, t * hop + i - pad2, pad) * window[i];
                }
                fft.Forward(re, im);
                var row = s.Row(t);
                for (int k = 0; k < bins; k++)
                {
                    double m2 = re[k] * re[k] + im[k] * im[k];
                    row[k] = (float)(power == 2 ? m2 : power == 1 ? Math.Sqrt(m2) : Math.Pow(m2, power / 2));
                }
            }
        });
        return s;
    }

    private static float Sample(float[] y, int i, PadMode pad)
    {
        if ((uint)i < (uint)y.Length) return y[i];
        if (pad == PadMode.Zero || y.Length < 2) return 0;
        int period = 2 * (y.Length - 1); // reflect about the edges without repeating them
        i %= period;
        if (i < 0) i += period;
        return y[i < y.Length ? i : period - i];
    }

    public static double[] HannPeriodic(int n)
    {
        var w = new double[n];
        for (int i = 0; i < n; i++) w[i] = 0.5 - 0.5 * Math.Cos(2 * Math.PI * i / n);
        return w;
    }

    /// <summary>Centre frequency of each rfft bin, k·sr/n_fft.</summary>
    public static double[] BinFrequencies(int sampleRate, int nFft)
    {
        var f = new double[nFft / 2 + 1];
        for (int k = 0; k < f.Length; k++) f[k] = (double)k * sampleRate / nFft;
        return f;
    }
}
