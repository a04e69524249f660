using SpeechTok.Audio;

namespace SpeechTok.Tests.Audio;

public sealed class ResamplerTests : IDisposable
{
    private readonly string _dir = Tool.TempDir("resample");

    public void Dispose() => Directory.Delete(_dir, true);

    private static double SnrDb(float[] reference, float[] test, int margin)
    {
        int n = Math.Min(reference.Length, test.Length);
        Assert.True(Math.Abs(reference.Length - test.Length) <= 1, $"lengths {reference.Length} vs {test.Length}");
        double s = 0, e = 0;
        for (int i = margin; i < n - margin; i++)
        {
            s += (double)reference[i] * reference[i];
            e += (double)(reference[i] - test[i]) * (reference[i] - test[i]);
        }
        return 10 * Math.Log10(s / e);
    }

    [Theory]
    [InlineData(44100)]
    [InlineData(22050)]
    [InlineData(48000)]
    [InlineData(8000)]
    public void MatchesSoxWithin40Db(int rate)
    {
        var src = Path.Combine(_dir, $"src{rate}.wav");
        var refPath = Path.Combine(_dir, $"ref{rate}.wav");
        // tones and a sweep inside the common passband (< 0.9 × the lower Nyquist)
        double top = Math.Min(rate, 16000) / 2.0 * 0.85;
        Tool.Run("sox", "-n", "-r", rate.ToString(), "-b", "32", "-e", "floating-point", src, "synth", "1.0",
            "sine", "440", "sine", $"{top * 0.6:F0}", "sine", $"100-{top:F0}", "channels", "1", "gain", "-12");
        Tool.Run("sox", src, "-b", "32", "-e", "floating-point", refPath, "rate", "-v", "16000");
        var (x, r) = WavReader.Read(src);
        Assert.Equal(rate, r);
        var ours = Resampler.Resample(x, rate, 16000);
        var (theirs, _) = WavReader.Read(refPath);
        double snr = SnrDb(theirs, ours, 200);
        Assert.True(snr >= 40, $"SNR vs sox {snr:F1} dB at {rate} Hz");
    }

    [Fact]
    public void RemovesContentAboveTheNewNyquist()
    {
        var x = Tool.Sine(11000, 1.0, 44100, 0.5);
        var y = Resampler.Resample(x, 44100, 16000);
        double rms = Math.Sqrt(y.Skip(200).Take(y.Length - 400).Average(v => (double)v * v));
        Assert.True(rms < 0.5 / Math.Sqrt(2) * 1e-3, $"11 kHz leaks through: rms {rms}"); // ≥ 60 dB down
        var pass = Resampler.Resample(Tool.Sine(1000, 1.0, 44100, 0.5), 44100, 16000);
        double prms = Math.Sqrt(pass.Skip(200).Take(pass.Length - 400).Average(v => (double)v * v));
        Assert.Equal(0.5 / Math.Sqrt(2), prms, 3);
    }
}
