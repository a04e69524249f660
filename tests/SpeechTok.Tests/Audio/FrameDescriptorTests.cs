using SpeechTok.Audio.Features;

namespace SpeechTok.Tests.Audio;

public sealed class FrameDescriptorTests
{
    private const int Sr = 16000;

    [Theory]
    [InlineData(110.0)]
    [InlineData(200.0)]
    [InlineData(330.0)]
    public void PitchOfAHarmonicToneIsItsFundamental(double f0)
    {
        var x = new float[Sr];
        for (int h = 1; h <= 5; h++)
        {
            var s = Tool.Sine(f0 * h, 1.0, Sr, 0.3 / h, phase: h);
            for (int i = 0; i < x.Length; i++) x[i] += s[i];
        }
        var d = FrameDescriptors.Compute(x);
        Assert.Equal(50, d.Frames);
        for (int t = 5; t < 45; t++)
        {
            Assert.True(d.Voiced[t], $"frame {t} unvoiced");
            Assert.Equal(f0, d.F0[t], f0 * 0.01);
            Assert.True(d.Periodicity[t] > 0.8f);
        }
    }

    [Fact]
    public void SineRmsAndCentroid()
    {
        var d = FrameDescriptors.Compute(Tool.Sine(1000, 0.5, Sr, 0.6));
        Assert.Equal(25, d.Frames);
        for (int t = 3; t < 22; t++)
        {
            Assert.Equal(0.6 / Math.Sqrt(2), d.Rms[t], 2);
            Assert.Equal(1000, d.Centroid[t], 15.0);
        }
    }

    [Fact]
    public void NoiseAndSilenceAreUnvoiced()
    {
        var rng = new Random(7);
        var noise = Enumerable.Range(0, Sr).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        var d = FrameDescriptors.Compute(noise);
        Assert.True(d.Voiced.Count(v => v) <= 2, $"{d.Voiced.Count(v => v)} noise frames voiced");
        Assert.True(d.Centroid.Skip(2).Take(46).Average() > 3000); // white noise: centroid near 4 kHz
        Assert.All(d.F0.Where((_, t) => !d.Voiced[t]), f => Assert.Equal(0f, f));

        var s = FrameDescriptors.Compute(new float[Sr / 2 + 100]);
        Assert.Equal(26, s.Frames); // ceil(len / 320)
        Assert.All(s.Voiced, v => Assert.False(v));
        Assert.All(s.Rms, r => Assert.Equal(0f, r));
        Assert.All(s.Centroid, c => Assert.Equal(0f, c));
    }

    [Theory]
    [InlineData(640, 268)]
    [InlineData(5, 17)]
    [InlineData(1, 1)]
    public void YinDifferencesEqualThePlainLoopBitForBit(int w, int tauLast)
    {
        var rng = new Random(w + tauLast);
        // Arbitrary float samples (resampled or decoded audio): their differences round in float, as in the loop below.
        var seg = new float[w + tauLast + FrameDescriptors.Lanes];
        for (int i = 0; i < w + tauLast; i++) seg[i] = (float)(rng.NextDouble() - 0.5);
        var diffs = new double[tauLast + FrameDescriptors.Lanes + 1];
        var plain = new double[diffs.Length];
        FrameDescriptors.Differences(seg, w, tauLast, diffs);
        FrameDescriptors.Differences(seg, w, tauLast, plain, vectorised: false);
        for (int tau = 1; tau <= tauLast; tau++)
        {
            double want = 0;
            for (int j = 0; j < w; j++) { double u = seg[j] - seg[j + tau]; want += u * u; } // float − float, then double
            Assert.True(BitConverter.DoubleToInt64Bits(want) == BitConverter.DoubleToInt64Bits(diffs[tau]), $"τ={tau}: {diffs[tau]:R}, the loop gives {want:R}");
            Assert.Equal(BitConverter.DoubleToInt64Bits(want), BitConverter.DoubleToInt64Bits(plain[tau]));
        }
    }
}
