using SpeechTok.Tensors.Ops;

namespace SpeechTok.Tests.Tensors;

public sealed unsafe class Conv1dTests
{
    private static float[] Random(Random r, int n) => Enumerable.Range(0, n).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray();

    [Theory]
    [InlineData(3, 5, 50, 7, 1, 1, 1)]
    [InlineData(4, 6, 41, 3, 1, 4, 2)] // dilated
    [InlineData(2, 3, 64, 8, 4, 1, 2)] // strided, kernel = 2 x stride as in SEANet
    [InlineData(5, 7, 33, 1, 1, 1, 1)] // pointwise: direct GEMM path
    [InlineData(64, 3, 2100, 16, 1, 1, 1)] // several im2col chunks, serial
    [InlineData(64, 3, 2100, 16, 1, 1, 3)] // column blocks in parallel (uneven split)
    [InlineData(64, 3, 20000, 1, 1, 1, 2)] // pointwise column blocks in parallel
    [InlineData(2, 2, 5, 7, 1, 1, 2)] // input shorter than the kernel: no output
    public void MatchesNaiveConvolution(int cin, int cout, int len, int k, int stride, int dilation, int threads)
    {
        var r = new Random(cin * 1000 + len);
        var x = Random(r, cin * len);
        var w = Random(r, cout * cin * k);
        var b = Random(r, cout);
        int lout = Conv1d.OutputLength(len, k, stride, dilation);
        Assert.Equal(Math.Max(0, (len - dilation * (k - 1) - 1) / stride + 1), lout);
        var y = new float[cout * lout];
        fixed (float* px = x, pw = w, pb = b, py = y) Conv1d.Forward(px, cin, len, pw, pb, cout, k, stride, dilation, py, threads);
        for (int co = 0; co < cout; co++)
            for (int t = 0; t < lout; t++)
            {
                double s = b[co];
                for (int ci = 0; ci < cin; ci++)
                    for (int j = 0; j < k; j++) s += (double)w[(co * cin + ci) * k + j] * x[ci * len + t * stride + j * dilation];
                Assert.True(Math.Abs(s - y[co * lout + t]) <= 1e-4 * (1 + Math.Abs(s)), $"co {co} t {t}: {y[co * lout + t]} vs {s}");
            }
    }

    [Theory]
    [InlineData(new float[] { 1, 2, 3 }, 2, 2, PadMode.Reflect, new float[] { 3, 2, 1, 2, 3, 2, 1 })]
    [InlineData(new float[] { 1, 2, 3 }, 1, 3, PadMode.Zero, new float[] { 0, 1, 2, 3, 0, 0, 0 })]
    // shorter than the pad: zeros are appended before reflecting (SEANet pad1d), then removed
    [InlineData(new float[] { 1, 2 }, 3, 3, PadMode.Reflect, new float[] { 0, 0, 2, 1, 2, 0, 0, 0 })]
    [InlineData(new float[] { 5 }, 0, 2, PadMode.Reflect, new float[] { 5, 0, 0 })]
    [InlineData(new float[] { 1, 2, 3, 4 }, 3, 0, PadMode.Reflect, new float[] { 4, 3, 2, 1, 2, 3, 4 })]
    public void PadsLikeSeanet(float[] x, int left, int right, PadMode mode, float[] expected)
    {
        var two = x.Concat(x.Select(v => -v)).ToArray(); // two channels: padding is per row
        var dst = new float[2 * expected.Length];
        fixed (float* px = two, pd = dst) Conv1d.Pad(px, 2, x.Length, left, right, mode, pd);
        Assert.Equal(expected, dst[..expected.Length]);
        Assert.Equal(expected.Select(v => v == 0 ? 0 : -v), dst[expected.Length..]);
    }

    [Fact]
    public void EluAndSnakeMatchTheirDefinitions()
    {
        var r = new Random(5);
        var x = Random(r, 3 * 37).Select(v => v * 4).ToArray();
        var e = (float[])x.Clone();
        fixed (float* p = e) CodecActivations.Elu(p, e.Length, 0.7f);
        for (int i = 0; i < x.Length; i++)
            Assert.Equal(x[i] > 0 ? x[i] : 0.7 * (Math.Exp(x[i]) - 1), e[i], 1e-6);

        float[] alpha = [0.5f, 1f, 2.5f];
        var s = (float[])x.Clone();
        fixed (float* p = s, pa = alpha) CodecActivations.Snake(p, 3, 37, pa);
        for (int i = 0; i < x.Length; i++)
        {
            double a = alpha[i / 37], sn = Math.Sin(a * x[i]);
            Assert.Equal(x[i] + sn * sn / (a + 1e-9), s[i], 1e-5);
        }
    }
}
