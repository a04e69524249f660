using System.Text.Json;
using SpeechTok.Audio;
using SpeechTok.Codec.SpeechTokenizer;
using SpeechTok.Tests.Conformance;

namespace SpeechTok.Tests.Audio;

public sealed class ResamplerTests : IDisposable
{
    private readonly string _dir = Tool.TempDir("resample");

    public void Dispose() => Directory.Delete(_dir, true);

    /// <summary>tests/fixtures/resample: inputs and torchaudio's resampling of them (make_fixture.py).</summary>
    private static string FixtureDir => Path.Combine(FixtureRoot.RepoRoot, "tests", "fixtures", "resample");

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
    [InlineData(8000)]
    [InlineData(22050)]
    [InlineData(44100)]
    [InlineData(48000)]
    public void EqualsTorchaudioResampleWithin1e5(int rate)
    {
        var (x, r) = WavReader.Read(Path.Combine(FixtureDir, $"in-{rate}.wav"));
        Assert.Equal(rate, r);
        var (expected, er) = WavReader.Read(Path.Combine(FixtureDir, $"ref-{rate}.wav"));
        Assert.Equal(16000, er);
        var ours = Resampler.Resample(x, rate, 16000);
        Assert.Equal(expected.Length, ours.Length);
        double worst = 0;
        int at = -1;
        for (int i = 0; i < ours.Length; i++)
            if (Math.Abs(ours[i] - expected[i]) > worst) { worst = Math.Abs(ours[i] - expected[i]); at = i; }
        Assert.True(worst <= 1e-5, $"{rate} Hz: max |ours − torchaudio| = {worst:E2} at sample {at} of {ours.Length}");
    }

    /// <summary>
    /// The reference pipeline is torchaudio's resampling followed by SpeechTokenizer's encoder; our encoder
    /// equals the original's exactly on this fixture (SpeechTokenizerConformanceTests), so the expected codes are
    /// those of torchaudio's 16 kHz output. The clip goes through the loader as a user's file would.
    /// </summary>
    [Theory]
    [InlineData(8000)]
    [InlineData(22050)]
    [InlineData(44100)]
    [InlineData(48000)]
    public void CodesOfResampledClipsEqualTheReferencePipeline(int rate)
    {
        var tokDir = Path.Combine(FixtureRoot.RepoRoot, "tests", "fixtures", "speechtokenizer-tiny");
        var model = SpeechTokenizerModel.Load(tokDir, Path.Combine(tokDir, "model.safetensors"));
        var (reference, _) = WavReader.Read(Path.Combine(FixtureDir, $"ref-{rate}.wav"));
        var expected = model.Encode(reference);
        var actual = model.Encode(AudioLoader.Load(Path.Combine(FixtureDir, $"in-{rate}.wav")));
        Assert.Equal(expected.Length, actual.Length);
        int differ = 0, total = 0;
        for (int q = 0; q < expected.Length; q++)
        {
            Assert.Equal(expected[q].Length, actual[q].Length);
            for (int t = 0; t < expected[q].Length; t++, total++) if (expected[q][t] != actual[q][t]) differ++;
        }
        Assert.True(differ == 0, $"{rate} Hz: {differ} of {total} codes differ from the reference pipeline's");
    }

    [Fact]
    public void FixtureIsWhatTheGeneratorRecorded()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(FixtureDir, "fixture.json")));
        foreach (var f in doc.RootElement.GetProperty("files").EnumerateObject())
            foreach (var (file, hash) in new[] { ("input", "input_sha256"), ("reference", "reference_sha256") })
            {
                var path = Path.Combine(FixtureDir, f.Value.GetProperty(file).GetString()!);
                var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path)));
                Assert.Equal(f.Value.GetProperty(hash).GetString(), sha);
            }
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
        // torchaudio's Hann-windowed kernel (6 zero crossings) attenuates 11 kHz, 3 kHz above the new Nyquist, by ~49 dB
        Assert.True(rms < 0.5 / Math.Sqrt(2) * Math.Pow(10, -45 / 20.0), $"11 kHz leaks through: rms {rms}");
        var pass = Resampler.Resample(Tool.Sine(1000, 1.0, 44100, 0.5), 44100, 16000);
        double prms = Math.Sqrt(pass.Skip(200).Take(pass.Length - 400).Average(v => (double)v * v));
        Assert.True(Math.Abs(prms / (0.5 / Math.Sqrt(2)) - 1) < 1e-3, $"1 kHz passband gain {prms / (0.5 / Math.Sqrt(2))}");
    }
}
