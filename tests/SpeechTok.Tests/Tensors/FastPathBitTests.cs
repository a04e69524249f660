using System.Numerics.Tensors;
using SpeechTok.Tensors;
using SpeechTok.Tensors.Ops;
using static SpeechTok.Tests.Tensors.GradCheck;

namespace SpeechTok.Tests.Tensors;

/// <summary>
/// The vector and causal-block paths of the LM's ops must give the bits of the plain formulas they replaced
/// (training results recorded in the README were made with those): each is compared bit for bit to them.
/// </summary>
public sealed unsafe class FastPathBitTests
{
    [Fact]
    public void Dropout_vector_mask_and_values_are_the_scalar_hash()
    {
        const int n = 150_001; // two thread ranges on 2 threads, the last vector block with a scalar tail
        const float p = 0.1f;
        const ulong seed = 0xABCDEF12345UL;
        var x = Random(n, 7); var y = new float[n]; var mask = new byte[n];
        fixed (float* xp = x, yp = y) fixed (byte* mp = mask) Dropout.Forward(yp, mp, xp, n, p, seed);
        ulong threshold = (ulong)(p * (double)(1UL << 53));
        float scale = 1f / (1f - p);
        for (int i = 0; i < n; i++)
        {
            bool keep = (SplitMix64.Mix(seed + (ulong)i * SplitMix64.Gamma) >> 11) >= threshold;
            Assert.True(mask[i] == (keep ? 1 : 0), $"mask at {i}");
            Assert.True(BitConverter.SingleToInt32Bits(y[i]) == BitConverter.SingleToInt32Bits(keep ? x[i] * scale : 0f), $"y at {i}");
        }
        // Backward: kept elements get dy·scale added, dropped ones keep their bits (−0 stays −0).
        var dy = Random(n, 8); var dx = new float[n];
        for (int i = 0; i < n; i++) dx[i] = i % 3 == 0 ? -0f : dy[(i * 7) % n];
        var expected = (float[])dx.Clone();
        for (int i = 0; i < n; i++) if (mask[i] != 0) expected[i] += dy[i] * scale;
        fixed (float* dxp = dx, dyp = dy) fixed (byte* mp = mask) Dropout.Backward(dxp, dyp, mp, n, p);
        AssertBits(expected, dx, "dropout dx");
    }

    [Fact]
    public void Swiglu_backward_equals_the_scalar_formula_accumulating_or_overwriting()
    {
        const int n = 5000, chunk = 1024; // one thread range (< 8192 elements), the op's 1024-element sigmoid chunks
        var g = Random(n, 1); var u = Random(n, 2); var dh = Random(n, 3);
        for (int i = 0; i < n; i += 5) { dh[i] = -0f; u[i + 1] = 0f; } // zero terms of both signs
        // The formula as written before the vector path: dGate += dh·up·σ·(1 + gate·(1 − σ)), dUp += dh·gate·σ, into +0.
        var s = new float[n];
        for (int i0 = 0; i0 < n; i0 += chunk) TensorPrimitives.Sigmoid(g.AsSpan(i0, Math.Min(chunk, n - i0)), s.AsSpan(i0, Math.Min(chunk, n - i0)));
        var eg = new float[n]; var eu = new float[n];
        for (int i = 0; i < n; i++)
        {
            eg[i] += dh[i] * u[i] * s[i] * (1 + g[i] * (1 - s[i]));
            eu[i] += dh[i] * g[i] * s[i];
        }
        var dg1 = new float[n]; var du1 = new float[n];
        var dg2 = Enumerable.Repeat(float.NaN, n).ToArray(); var du2 = Enumerable.Repeat(float.NaN, n).ToArray();
        fixed (float* gp = g, up = u, dhp = dh, a = dg1, b = du1, c = dg2, d = du2)
        {
            SwiGlu.Backward(a, b, dhp, gp, up, n);
            SwiGlu.Backward(c, d, dhp, gp, up, n, accumulate: false);
        }
        AssertBits(eg, dg1, "dgate (accumulate)");
        AssertBits(eu, du1, "dup (accumulate)");
        AssertBits(eg, dg2, "dgate (overwrite)");
        AssertBits(eu, du2, "dup (overwrite)");
    }

    [Fact]
    public void Rmsnorm_backward_dx_equals_the_scalar_formula()
    {
        const int n = 9, c = 37; // two vector blocks of 16 and a tail of 5 per row
        var x = Random(n * c, 21); var dy = Random(n * c, 22); var w = Random(c, 23); var rstd = Random(n, 24);
        var dx = Random(n * c, 25); var expected = (float[])dx.Clone();
        for (int i = 0; i < n; i++)
        {
            float r = rstd[i], gx = 0;
            for (int j = 0; j < c; j++) gx += w[j] * dy[i * c + j] * x[i * c + j];
            float k = r * r * r * gx / c;
            for (int j = 0; j < c; j++) expected[i * c + j] += r * w[j] * dy[i * c + j] - k * x[i * c + j];
        }
        fixed (float* dxp = dx, dyp = dy, xp = x, rp = rstd) RmsNorm.Backward(dxp, null, dyp, xp, rp, SpeechTok.Tensors.Tensor.FromData(w, c), n, c);
        AssertBits(expected, dx, "rmsnorm dx");
    }

    [Theory]
    [InlineData(1f)]
    [InlineData(-1f)]
    public void Rope_vector_lanes_equal_the_scalar_rotation(float sign)
    {
        const int b = 2, t = 5, heads = 3, d = 22, half = d / 2; // one vector block of 8 and a tail of 3
        var (cos, sin) = Rope.Tables(Rope.InverseFrequencies(d, 10000, null), t);
        var x = Random(b * t * heads * d, 31); var expected = (float[])x.Clone();
        for (int row = 0; row < b * t; row++)
            for (int h = 0; h < heads; h++)
                for (int i = 0; i < half; i++)
                {
                    int o = (row * heads + h) * d, pos = row % t;
                    float c = cos[pos * half + i], sn = sign * sin[pos * half + i], x1 = expected[o + i], x2 = expected[o + i + half];
                    expected[o + i] = x1 * c - x2 * sn;
                    expected[o + i + half] = x2 * c + x1 * sn;
                }
        fixed (float* xp = x)
            if (sign > 0) Rope.Forward(xp, b, t, heads, d, cos, sin);
            else Rope.Backward(xp, b, t, heads, d, cos, sin);
        AssertBits(expected, x, "rope");
    }

    // On the wide plan blocks are 42 rows from t = 84: 83 runs the full products, 84 two blocks, 100 two blocks
    // with a longer last one, 256 (the length cap of the presets) six, with middle blocks.
    [Theory]
    [InlineData(83)]
    [InlineData(84)]
    [InlineData(100)]
    [InlineData(256)]
    public void Causal_attention_blocks_equal_the_full_products_bit_for_bit(int t)
    {
        const int b = 2, hq = 4, hkv = 2, d = 64, rep = hq / hkv;
        var mask = Enumerable.Repeat(1, b * t).ToArray();
        for (int j = t * 7 / 10; j < t; j++) mask[t + j] = 0; // right padding in the second row
        var q = Random(b * t * hq * d, 11); var k = Random(b * t * hkv * d, 12); var v = Random(b * t * hkv * d, 13);
        var dOut = Random(b * t * hq * d, 14);
        var o = new float[q.Length]; var probs = new float[b * hq * t * t];
        var dq = new float[q.Length]; var dk = new float[k.Length]; var dv = new float[v.Length];
        fixed (float* op = o, pp = probs, qp = q, kp = k, vp = v, dop = dOut, dqp = dq, dkp = dk, dvp = dv)
        {
            Attention.Forward(op, pp, qp, kp, vp, mask, b, t, hq, hkv, d);
            Attention.Backward(dqp, dkp, dvp, dop, pp, qp, kp, vp, b, t, hq, hkv, d);
        }
        // The full t×t products per head, as Attention ran them before the causal blocks.
        var eo = new float[q.Length]; var ep = new float[probs.Length];
        var edq = new float[q.Length]; var edk = new float[k.Length]; var edv = new float[v.Length];
        float scale = 1f / MathF.Sqrt(d);
        var ds = new float[t * t];
        fixed (float* op = eo, pp = ep, qp = q, kp = k, vp = v, dop = dOut, dqp = edq, dkp = edk, dvp = edv, dsp = ds)
            for (int bi = 0; bi < b; bi++)
                for (int g = 0; g < hkv; g++)
                    for (int r = 0; r < rep; r++)
                    {
                        long qo = ((long)bi * t * hq + g * rep + r) * d, ko = ((long)bi * t * hkv + g) * d;
                        float* ph = pp + ((long)bi * hq + g * rep + r) * t * t;
                        Gemm.Sgemm(false, true, t, t, d, scale, qp + qo, hq * d, kp + ko, hkv * d, 0f, ph, t);
                        for (int i = 0; i < t; i++)
                        {
                            var row = new Span<float>(ph + i * t, t);
                            var live = row[..(i + 1)];
                            for (int j = 0; j <= i; j++) if (mask[bi * t + j] == 0) live[j] = float.NegativeInfinity;
                            float max = TensorPrimitives.Max(live);
                            TensorPrimitives.Subtract(live, max, live);
                            TensorPrimitives.Exp(live, live);
                            TensorPrimitives.Multiply(live, 1f / TensorPrimitives.Sum(live), live);
                            row[(i + 1)..].Clear();
                        }
                        Gemm.Sgemm(false, false, t, d, t, 1f, ph, t, vp + ko, hkv * d, 0f, op + qo, hq * d);
                        Gemm.Sgemm(false, true, t, t, d, 1f, dop + qo, hq * d, vp + ko, hkv * d, 0f, dsp, t);
                        for (int i = 0; i < t; i++)
                        {
                            var pr = new ReadOnlySpan<float>(ph + i * t, t);
                            var gr = new Span<float>(dsp + i * t, t);
                            float dot = TensorPrimitives.Dot(pr, gr);
                            TensorPrimitives.Subtract(gr, dot, gr);
                            TensorPrimitives.Multiply(gr, pr, gr);
                            TensorPrimitives.Multiply(gr, scale, gr);
                        }
                        Gemm.Sgemm(false, false, t, d, t, 1f, dsp, t, kp + ko, hkv * d, 1f, dqp + qo, hq * d);
                        Gemm.Sgemm(true, false, t, d, t, 1f, dsp, t, qp + qo, hq * d, 1f, dkp + ko, hkv * d);
                        Gemm.Sgemm(true, false, t, d, t, 1f, ph, t, dop + qo, hq * d, 1f, dvp + ko, hkv * d);
                    }
        AssertBits(ep, probs, "probs");
        AssertBits(eo, o, "out");
        AssertBits(edq, dq, "dq");
        AssertBits(edk, dk, "dk");
        AssertBits(edv, dv, "dv");
    }
}
