using SpeechTok.Tensors;

namespace SpeechTok.Tests.Tensors;

public sealed class RngTests
{
    [Fact]
    public void XoshiroKnownAnswer()
    {
        // Published reference outputs of xoshiro256** from the state {1, 2, 3, 4}.
        var r = new Rng(1, 2, 3, 4);
        ulong[] expected = [11520, 0, 1509978240, 1215971899390074240, 1216172134540287360, 607988272756665600];
        foreach (var e in expected) Assert.Equal(e, r.NextUInt64());
    }

    [Fact]
    public void SeedingUsesSplitMix64()
    {
        // splitmix64 from x = 0 first yields 0xE220A8397B1DCDAF (Vigna's reference).
        Assert.Equal(0xE220A8397B1DCDAFUL, new Rng(0).State.Item1);
    }

    [Fact]
    public void SameSeedSameNumbersDifferentSeedDifferentNumbers()
    {
        var a = new Rng(42);
        var b = new Rng(42);
        var c = new Rng(43);
        var xa = new float[1001];
        var xb = new float[1001];
        var xc = new float[1001];
        a.FillNormal(xa, 0, 1);
        b.FillNormal(xb, 0, 1);
        c.FillNormal(xc, 0, 1);
        Assert.Equal(xa, xb);
        Assert.NotEqual(xa, xc);
        Assert.Equal(a.NextUInt64(), b.NextUInt64());
        Assert.Equal(a.Permutation(50), b.Permutation(50));
    }

    [Fact]
    public void PurposeStreamsAreReproducibleAndIndependent()
    {
        ulong x = Rng.ForPurpose(7, "lora.A").NextUInt64();
        Assert.Equal(x, Rng.ForPurpose(7, "lora.A").NextUInt64());
        Assert.NotEqual(x, Rng.ForPurpose(7, "lora.B").NextUInt64());
        Assert.NotEqual(x, Rng.ForPurpose(8, "lora.A").NextUInt64());
        Assert.NotEqual(x, new Rng(7).NextUInt64());

        // Two purpose streams of one seed must be uncorrelated.
        var a = new float[20000];
        var b = new float[20000];
        Rng.ForPurpose(7, "data.shuffle").FillNormal(a, 0, 1);
        Rng.ForPurpose(7, "dropout").FillNormal(b, 0, 1);
        double dot = 0;
        for (int i = 0; i < a.Length; i++) dot += a[i] * b[i];
        Assert.InRange(dot / a.Length, -0.03, 0.03); // 4 standard errors
    }

    [Theory]
    [InlineData(0.0, 1.0, 200_000)]
    [InlineData(3.0, 0.02, 100_001)]
    public void NormalHasTheRequestedMeanAndStd(double mean, double std, int n)
    {
        var x = new float[n];
        new Rng(123).FillNormal(x, mean, std);
        var (m, s) = MeanStd(x);
        Assert.InRange(m, mean - 5 * std / Math.Sqrt(n), mean + 5 * std / Math.Sqrt(n));
        Assert.InRange(s / std, 0.99, 1.01);
        // Tails: about 4.55% beyond 2σ.
        double beyond = x.Count(v => Math.Abs(v - mean) > 2 * std) / (double)n;
        Assert.InRange(beyond, 0.041, 0.050);
    }

    [Fact]
    public void UniformStaysInRangeWithTheRightMoments()
    {
        var x = new float[200_000];
        new Rng(5).FillUniform(x, -2, 6);
        Assert.All(x, v => Assert.InRange(v, -2f, 6f));
        var (m, s) = MeanStd(x);
        Assert.InRange(m, 2 - 0.03, 2 + 0.03);
        Assert.InRange(s, 8 / Math.Sqrt(12) * 0.99, 8 / Math.Sqrt(12) * 1.01);

        var r = new Rng(6);
        for (int i = 0; i < 10000; i++)
        {
            Assert.InRange(r.NextFloat(), 0f, 0.99999995f);
            Assert.InRange(r.NextDouble(), 0.0, 0.9999999999999999);
        }
    }

    [Fact]
    public void KaimingUniformBoundsMatchTorch()
    {
        // torch: gain = sqrt(2/(1+a^2)), bound = gain*sqrt(3/fan_in); a = sqrt(5) gives 1/sqrt(fan_in).
        Assert.Equal(1.0 / 8, Rng.KaimingUniformBound(64), 15);
        Assert.Equal(1.0 / Math.Sqrt(2048), Rng.KaimingUniformBound(2048), 15);
        Assert.Equal(Math.Sqrt(6.0 / 100), Rng.KaimingUniformBound(100, a: 0), 15);
        Assert.Throws<ArgumentOutOfRangeException>(() => Rng.KaimingUniformBound(0));

        var w = new float[4 * 64 * 100];
        new Rng(9).KaimingUniform(w, fanIn: 64);
        Assert.All(w, v => Assert.InRange(v, -0.125f, 0.125f));
        Assert.True(w.Max() > 0.124f && w.Min() < -0.124f);
    }

    [Fact]
    public void NextIntIsUniformAndInRange()
    {
        var r = new Rng(11);
        var counts = new int[7];
        const int n = 70_000;
        for (int i = 0; i < n; i++) counts[r.NextInt(7)]++;
        double chi2 = counts.Sum(c => (c - n / 7.0) * (c - n / 7.0) / (n / 7.0));
        Assert.True(chi2 < 22.5, $"chi2 {chi2} (6 dof, p = 0.001 at 22.46)");
        Assert.Throws<ArgumentOutOfRangeException>(() => r.NextInt(0));
    }

    [Fact]
    public void PermutationIsAPermutationAndShuffleIsDeterministic()
    {
        var p = new Rng(3).Permutation(1000);
        Assert.Equal(Enumerable.Range(0, 1000), p.OrderBy(v => v));
        Assert.NotEqual(Enumerable.Range(0, 1000), p);

        string[] a = ["a", "b", "c", "d", "e", "f"], b = (string[])a.Clone();
        new Rng(4).Shuffle<string>(a);
        new Rng(4).Shuffle<string>(b);
        Assert.Equal(a, b);
    }

    private static (double Mean, double Std) MeanStd(float[] x)
    {
        double m = x.Average(v => (double)v);
        double var = x.Sum(v => (v - m) * (v - m)) / (x.Length - 1);
        return (m, Math.Sqrt(var));
    }
}
