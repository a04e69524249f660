using SpeechTok.Audio.Features;
using SpeechTok.Tensors.Ops;

namespace SpeechTok.Tests.Audio;

public sealed class FeatureTests
{
    private const int Sr = 16000;

    private static float[] Add(params float[][] xs)
    {
        var o = new float[xs[0].Length];
        foreach (var x in xs) for (int i = 0; i < o.Length; i++) o[i] += x[i];
        return o;
    }

    [Fact]
    public void StftOfASineHasItsPeakAtTheRightBinWithHannGain()
    {
        // 1000 Hz = bin 128 of a 2048-point FFT at 16 kHz; periodic Hann has coherent gain 0.5, so |X| = A·N/4.
        var s = Stft.Spectrogram(Tool.Sine(1000, 1.0, Sr, 0.8), 2048, 512, 1.0);
        Assert.Equal(1 + 16000 / 512, s.Frames);
        var row = s.Row(s.Frames / 2);
        int arg = 0;
        for (int k = 1; k < row.Length; k++) if (row[k] > row[arg]) arg = k;
        Assert.Equal(128, arg);
        Assert.Equal(0.8 * 2048 / 4, row[128], 0.5);
        Assert.Equal(0.8 * 2048 / 8, row[127], 0.5); // Hann's first neighbours are half the peak
    }

    [Fact]
    public void ReflectPaddingMirrorsTheEdges()
    {
        // A constant signal stays constant under reflect padding: every frame sees the same window sum.
        var c = Enumerable.Repeat(0.25f, 4000).ToArray();
        var r = Stft.Spectrogram(c, 512, 128, 1.0, PadMode.Reflect);
        var z = Stft.Spectrogram(c, 512, 128, 1.0, PadMode.Zero);
        Assert.Equal(0.25 * 256, r.Row(0)[0], 1e-3);
        Assert.True(z.Row(0)[0] < 0.25 * 256 * 0.75); // zero padding loses half the window at the edge
    }

    [Fact]
    public void SlaneyMelScaleAndFilterbank()
    {
        Assert.Equal(15.0, Mel.HzToMel(1000), 12);
        Assert.Equal(3.0, Mel.HzToMel(200), 12);
        Assert.Equal(4000.0, Mel.MelToHz(Mel.HzToMel(4000)), 9);
        var fb = Mel.Filterbank(Sr, 2048, 128);
        Assert.Equal(128, fb.Length);
        Assert.Equal(1025, fb[0].Length);
        // area normalisation: each triangle of height 2/(f[m+2]−f[m]) integrates (in Hz) to ≈ 1
        double hzPerBin = Sr / 2048.0;
        for (int m = 40; m < 128; m += 20) Assert.Equal(1.0, fb[m].Sum(v => (double)v) * hzPerBin, 1);
        Assert.All(fb, row => Assert.Contains(row, v => v > 0));
    }

    [Fact]
    public void DctIsOrthonormalAndPowerToDbFloorsAtTopDb()
    {
        var b = Mel.DctOrtho(25, 128);
        for (int i = 0; i < 25; i++)
            for (int j = 0; j < 25; j++)
            {
                double dot = 0;
                for (int n = 0; n < 128; n++) dot += b[i * 128 + n] * b[j * 128 + n];
                Assert.Equal(i == j ? 1.0 : 0.0, dot, 9);
            }
        var s = new float[] { 1f, 1e-3f, 1e-12f, 0f };
        Mel.PowerToDb(s);
        Assert.Equal(new[] { 0f, -30f, -80f, -80f }, s);
    }

    [Fact]
    public void MfccOfAConstantSpectrumPutsEverythingInC0()
    {
        // white-ish flat mel spectrum: only c0 of the orthonormal DCT is large
        var rng = new Random(1);
        var noise = Enumerable.Range(0, Sr).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        var m = Mel.Mfcc(noise, Sr, 25);
        var row = m.Row(m.Frames / 2);
        Assert.True(Math.Abs(row[0]) > 5 * row.ToArray().Skip(2).Max(Math.Abs));
    }

    [Fact]
    public void CentroidAndBandwidthOfTonesAndRolloffOfASweep()
    {
        var freqs = Stft.BinFrequencies(Sr, 2048);
        var one = Stft.Spectrogram(Tool.Sine(1500, 0.5, Sr), 2048, 512, 1.0);
        var (c, bw) = BaselineFeatures.CentroidBandwidth(one.Row(one.Frames / 2), freqs);
        Assert.Equal(1500, c, 1.0);
        Assert.True(bw < 12, $"bandwidth of a pure tone {bw}");

        // two equal tones: centroid halfway, bandwidth = half the spacing
        var two = Stft.Spectrogram(Add(Tool.Sine(1000, 0.5, Sr), Tool.Sine(3000, 0.5, Sr)), 2048, 512, 1.0);
        (c, bw) = BaselineFeatures.CentroidBandwidth(two.Row(two.Frames / 2), freqs);
        Assert.Equal(2000, c, 2.0);
        Assert.Equal(1000, bw, 5.0);

        // linear sweep 200 → 6200 Hz over 4 s: the 0.85 roll-off follows the instantaneous frequency
        var sweep = new float[4 * Sr];
        for (int i = 0; i < sweep.Length; i++)
        {
            double t = (double)i / Sr;
            sweep[i] = (float)(0.5 * Math.Sin(2 * Math.PI * (200 * t + 750 * t * t)));
        }
        var s = Stft.Spectrogram(sweep, 2048, 512, 1.0);
        for (int t = 4; t < s.Frames - 4; t += 7)
        {
            double inst = 200 + 1500.0 * t * 512 / Sr;
            double ro = BaselineFeatures.Rolloff(s.Row(t), freqs, 0.85);
            Assert.InRange(ro, inst - 10, inst + 120); // the 85 % point lies just above the centre of the lobe
        }
    }

    [Theory]
    [InlineData(440.0, 9)]      // A4
    [InlineData(261.6256, 0)]   // C4
    [InlineData(1174.659, 2)]   // D6
    [InlineData(196.0, 7)]      // G3
    public void PureToneLightsItsChromaBin(double f, int bin)
    {
        var ch = BaselineFeatures.Chroma(Square(Stft.Spectrogram(Tool.Sine(f, 1.0, Sr), 2048, 512, 1.0)), Sr, 2048);
        var row = ch.Row(ch.Frames / 2);
        Assert.Equal(1f, row[bin], 5);
        Assert.True(row.ToArray().Where((_, i) => i != bin).Max() < 0.5f);
    }

    private static FrameMatrix Square(FrameMatrix m)
    {
        for (int i = 0; i < m.Data.Length; i++) m.Data[i] *= m.Data[i];
        return m;
    }

    [Fact]
    public void TuningOfADetunedToneIsFound()
    {
        double f = 440 * Math.Pow(2, 0.2 / 12); // 20 cents sharp
        var p = Square(Stft.Spectrogram(Tool.Sine(f, 1.0, Sr), 2048, 512, 1.0));
        // piptrack's parabolic interpolation on a Hann power spectrum is biased by a few cents, depending on
        // where the tone falls between bins; 0.05 semitone separates "in tune" from "20 cents sharp".
        Assert.InRange(BaselineFeatures.EstimateTuning(p, Sr, 2048), 0.15, 0.25);
        Assert.InRange(BaselineFeatures.EstimateTuning(Square(Stft.Spectrogram(Tool.Sine(440, 1.0, Sr), 2048, 512, 1.0)), Sr, 2048), -0.05, 0.05);
        Assert.Equal(0.0, BaselineFeatures.EstimateTuning(Square(Stft.Spectrogram(new float[8000], 2048, 512, 1.0)), Sr, 2048));
    }

    [Fact]
    public void ContrastPeaksInTheBandOfATone()
    {
        var freqs = Stft.BinFrequencies(Sr, 2048);
        var rng = new Random(3);
        var x = Tool.Sine(1100, 1.0, Sr, 0.5); // band 3 is 800–1600 Hz
        for (int i = 0; i < x.Length; i++) x[i] += (float)((rng.NextDouble() - 0.5) * 0.01);
        var c = BaselineFeatures.Contrast(Stft.Spectrogram(x, 2048, 512, 1.0), freqs);
        var row = c.Row(c.Frames / 2);
        Assert.Equal(7, row.Length);
        int arg = Array.IndexOf(row.ToArray(), row.ToArray().Max());
        Assert.Equal(3, arg);
        Assert.True(row[3] > 40);
    }

    [Fact]
    public void BaselineVectorIsTheBlockPooledMeanOf44Columns()
    {
        var x = Add(Tool.Sine(220, 1.3, Sr, 0.3), Tool.Sine(660, 1.3, Sr, 0.1));
        var frames = BaselineFeatures.Frames(x);
        Assert.Equal(44, frames.Cols);
        Assert.Equal(1 + x.Length / 512, frames.Frames); // 41 frames → 9 blocks, the last padded with 4 zero frames
        var v = BaselineFeatures.Compute(x);
        Assert.Equal(44, v.Length);
        var pooled = BaselineFeatures.Pooled(x);
        Assert.Equal(9, pooled.Frames);
        for (int c = 0; c < 44; c++)
        {
            Assert.Equal((frames.Row(0)[c] + frames.Row(1)[c] + frames.Row(2)[c] + frames.Row(3)[c] + frames.Row(4)[c]) / 5, pooled.Row(0)[c], 3);
            Assert.Equal(frames.Row(40)[c] / 5, pooled.Row(8)[c], 4); // one real frame + four zero frames
        }
        Assert.All(v, f => Assert.True(float.IsFinite(f)));
        for (int c = 0; c < 44; c++)
        {
            double sum = 0;
            for (int t = 0; t < frames.Frames; t++) sum += frames.Row(t)[c];
            Assert.Equal(sum / (5 * 9), v[c], 4);
        }
        // the chroma block (columns 9..20) of a 220 Hz (A) tone peaks at A
        var chroma = v[9..21];
        Assert.Equal(9, Array.IndexOf(chroma, chroma.Max()));
    }
}
