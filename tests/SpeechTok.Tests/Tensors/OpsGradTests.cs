using SpeechTok.Tensors;
using SpeechTok.Tensors.Ops;
using static SpeechTok.Tests.Tensors.GradCheck;

namespace SpeechTok.Tests.Tensors;

public sealed unsafe class OpsGradTests
{
    [Fact]
    public void Linear_gradients_of_input_weight_and_bias()
    {
        const int n = 5, inF = 7, outF = 6;
        var x = Random(n * inF, 1); var w = Random(outF * inF, 2); var b = Random(outF, 3); var r = Random(n * outF, 4);
        double Loss()
        {
            var y = new float[n * outF];
            using var wt = Tensor.FromData(w, outF, inF);
            fixed (float* yp = y, xp = x, bp = b) Linear.Forward(yp, xp, wt, bp, n, inF, outF);
            return Dot(r, y);
        }
        var dx = new float[x.Length]; var dw = new float[w.Length]; var db = new float[b.Length];
        using (var wt = Tensor.FromData(w, outF, inF))
            fixed (float* dxp = dx, dwp = dw, dbp = db, rp = r, xp = x) Linear.Backward(dxp, dwp, dbp, rp, xp, wt, n, inF, outF);
        Check("linear dx", x, dx, Loss);
        Check("linear dW", w, dw, Loss);
        Check("linear dbias", b, db, Loss);
    }

    [Fact]
    public void Bf16_and_f16_weights_match_their_f32_upcast()
    {
        const int n = 3, inF = 5, outF = 4;
        var x = Random(n * inF, 5); var w = Random(outF * inF, 6);
        var bits = w.Select(Half16.F32ToBf16).ToArray();
        var up = bits.Select(Half16.Bf16ToF32).ToArray();
        var y16 = new float[n * outF]; var y32 = new float[n * outF];
        fixed (ushort* bp = bits)
        fixed (float* xp = x, y1 = y16, y2 = y32)
        {
            using var t16 = Tensor.View(DType.BF16, (byte*)bp, [outF, inF], null, readOnly: true);
            using var t32 = Tensor.FromData(up, outF, inF);
            Linear.Forward(y1, xp, t16, null, n, inF, outF);
            Linear.Forward(y2, xp, t32, null, n, inF, outF);
            var dx16 = new float[n * inF]; var dx32 = new float[n * inF];
            fixed (float* d1 = dx16, d2 = dx32)
            {
                Linear.Backward(d1, null, null, y1, xp, t16, n, inF, outF);
                Linear.Backward(d2, null, null, y2, xp, t32, n, inF, outF);
            }
            for (int i = 0; i < dx32.Length; i++) Assert.True(Math.Abs(dx32[i] - dx16[i]) < 1e-5, $"bf16 dx {i}");
        }
        for (int i = 0; i < y32.Length; i++) Assert.True(Math.Abs(y32[i] - y16[i]) < 1e-5, $"bf16 y {i}");
        // F16 takes the block-upcast path.
        var h = w.Select(Half16.F32ToF16).ToArray();
        var uph = h.Select(Half16.F16ToF32).ToArray();
        var yh = new float[n * outF]; var yr = new float[n * outF];
        fixed (ushort* hp = h)
        fixed (float* xp = x, y1 = yh, y2 = yr)
        {
            using var th = Tensor.View(DType.F16, (byte*)hp, [outF, inF], null, readOnly: true);
            using var tr = Tensor.FromData(uph, outF, inF);
            Linear.Forward(y1, xp, th, null, n, inF, outF);
            Linear.Forward(y2, xp, tr, null, n, inF, outF);
        }
        for (int i = 0; i < yr.Length; i++) Assert.True(Math.Abs(yr[i] - yh[i]) < 1e-5, $"f16 y {i}");
    }

    [Fact]
    public void RmsNorm_gradients_of_input_and_weight()
    {
        const int n = 4, c = 9;
        var x = Random(n * c, 10); var w = Random(c, 11); var r = Random(n * c, 12);
        double Loss()
        {
            var y = new float[n * c]; var rs = new float[n];
            using var wt = Tensor.FromData(w, c);
            fixed (float* yp = y, rp = rs, xp = x) RmsNorm.Forward(yp, rp, xp, wt, n, c, 1e-5f);
            return Dot(r, y);
        }
        var dx = new float[x.Length]; var dw = new float[c]; var rstd = new float[n]; var tmp = new float[n * c];
        using (var wt = Tensor.FromData(w, c))
            fixed (float* dxp = dx, dwp = dw, rp = r, xp = x, sp = rstd, tp = tmp)
            {
                RmsNorm.Forward(tp, sp, xp, wt, n, c, 1e-5f);
                RmsNorm.Backward(dxp, dwp, rp, xp, sp, wt, n, c);
            }
        Check("rmsnorm dx", x, dx, Loss);
        Check("rmsnorm dw", w, dw, Loss);
    }

    [Fact]
    public void Rope_gradient_and_inverse()
    {
        const int b = 2, t = 5, h = 3, d = 8;
        var inv = Rope.InverseFrequencies(d, 10000, new RopeScaling("llama3", 8, 1, 4, 8));
        var (cos, sin) = Rope.Tables(inv, t);
        var x = Random(b * t * h * d, 20); var r = Random(x.Length, 21);
        double Loss()
        {
            var y = (float[])x.Clone();
            fixed (float* yp = y) Rope.Forward(yp, b, t, h, d, cos, sin);
            return Dot(r, y);
        }
        var dx = (float[])r.Clone();
        fixed (float* p = dx) Rope.Backward(p, b, t, h, d, cos, sin);
        Check("rope dx", x, dx, Loss);
        var round = (float[])x.Clone();
        fixed (float* p = round) { Rope.Forward(p, b, t, h, d, cos, sin); Rope.Backward(p, b, t, h, d, cos, sin); }
        for (int i = 0; i < x.Length; i++) Assert.True(Math.Abs(x[i] - round[i]) < 1e-6, $"rope inverse at {i}");
    }

    [Fact]
    public void Attention_gradients_with_gqa_and_padding()
    {
        const int b = 2, t = 5, hq = 4, hkv = 2, d = 3;
        int[] mask = [1, 1, 1, 1, 1, 1, 1, 1, 0, 0];
        var q = Random(b * t * hq * d, 30); var k = Random(b * t * hkv * d, 31); var v = Random(b * t * hkv * d, 32);
        var r = Random(b * t * hq * d, 33);
        for (int bi = 0; bi < b; bi++) for (int i = 0; i < t; i++) if (mask[bi * t + i] == 0) for (int j = 0; j < hq * d; j++) r[(bi * t + i) * hq * d + j] = 0;
        var probs = new float[b * hq * t * t];
        double Loss()
        {
            var o = new float[q.Length];
            fixed (float* op = o, pp = probs, qp = q, kp = k, vp = v) Attention.Forward(op, pp, qp, kp, vp, mask, b, t, hq, hkv, d);
            return Dot(r, o);
        }
        Loss();
        var dq = new float[q.Length]; var dk = new float[k.Length]; var dv = new float[v.Length];
        fixed (float* dqp = dq, dkp = dk, dvp = dv, rp = r, pp = probs, qp = q, kp = k, vp = v)
            Attention.Backward(dqp, dkp, dvp, rp, pp, qp, kp, vp, b, t, hq, hkv, d);
        Check("attention dq", q, dq, Loss);
        Check("attention dk", k, dk, Loss);
        Check("attention dv", v, dv, Loss);
        // A padded key is never attended to: its value has no gradient.
        for (int j = 0; j < hkv * d; j++) Assert.Equal(0f, dv[(1 * t + 3) * hkv * d + j]);
    }

    [Fact]
    public void Silu_and_swiglu_gradients()
    {
        const int n = 17;
        var g = Random(n, 40, 3); var u = Random(n, 41, 3); var r = Random(n, 42);
        double SiluLoss() { var y = new float[n]; fixed (float* yp = y, gp = g) SwiGlu.SiluForward(yp, gp, n); return Dot(r, y); }
        double GluLoss() { var y = new float[n]; fixed (float* yp = y, gp = g, up = u) SwiGlu.Forward(yp, gp, up, n); return Dot(r, y); }
        var ds = new float[n]; var dg = new float[n]; var du = new float[n];
        fixed (float* dsp = ds, dgp = dg, dup = du, rp = r, gp = g, up = u)
        {
            SwiGlu.SiluBackward(dsp, rp, gp, n);
            SwiGlu.Backward(dgp, dup, rp, gp, up, n);
        }
        Check("silu dx", g, ds, SiluLoss);
        Check("swiglu dgate", g, dg, GluLoss);
        Check("swiglu dup", u, du, GluLoss);
    }

    [Fact]
    public void Softmax_and_log_softmax_gradients()
    {
        const int n = 3, c = 6;
        var x = Random(n * c, 50, 2); var r = Random(n * c, 51);
        double Sm() { var y = new float[n * c]; fixed (float* yp = y, xp = x) Softmax.Forward(yp, xp, n, c); return Dot(r, y); }
        double Lsm() { var y = new float[n * c]; fixed (float* yp = y, xp = x) Softmax.LogForward(yp, xp, n, c); return Dot(r, y); }
        var y1 = new float[n * c]; var y2 = new float[n * c]; var d1 = new float[n * c]; var d2 = new float[n * c];
        fixed (float* a = y1, b = y2, da = d1, db = d2, xp = x, rp = r)
        {
            Softmax.Forward(a, xp, n, c); Softmax.Backward(da, rp, a, n, c);
            Softmax.LogForward(b, xp, n, c); Softmax.LogBackward(db, rp, b, n, c);
        }
        Check("softmax dx", x, d1, Sm);
        Check("log-softmax dx", x, d2, Lsm);
    }

    [Fact]
    public void Cross_entropy_weighted_with_ignore_index_matches_torch_semantics_and_gradient()
    {
        const int n = 4, c = 3;
        var x = Random(n * c, 60, 2);
        int[] y = [2, CrossEntropy.IgnoreIndex, 0, 2];
        float[] w = [0.5f, 1f, 2f];
        double Mean() { fixed (float* xp = x) { var (s, ws) = CrossEntropy.Forward(xp, y, w, n, c); return s / ws; } }
        // Σ w_y·nll / Σ w_y computed directly
        double num = 0, den = 0;
        for (int i = 0; i < n; i++)
        {
            if (y[i] < 0) continue;
            double lse = Math.Log(Enumerable.Range(0, c).Sum(j => Math.Exp(x[i * c + j])));
            num += w[y[i]] * (lse - x[i * c + y[i]]); den += w[y[i]];
        }
        Assert.Equal(num / den, Mean(), 5);
        var d = new float[n * c];
        fixed (float* dp = d, xp = x) CrossEntropy.Backward(dp, xp, y, w, n, c, (float)(1 / den));
        Check("cross-entropy dlogits", x, d, Mean);
        Assert.All(d.AsSpan(c, c).ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Bce_with_logits_gradient()
    {
        const int n = 8;
        var x = Random(n, 70, 3);
        float[] t = [1, 0, 0, 1, 1, 0, 1, 0];
        double Loss() { fixed (float* xp = x, tp = t) return BceWithLogits.Forward(xp, tp, n); }
        var d = new float[n];
        fixed (float* dp = d, xp = x, tp = t) BceWithLogits.Backward(dp, xp, tp, n);
        Check("bce dlogits", x, d, Loss);
    }

    [Fact]
    public void Embedding_row_subset_gradient_touches_only_trainable_rows()
    {
        const int v = 6, e = 3, dim = 4;
        var table = Random(v * dim, 80); var extra = Random(e * dim, 81);
        int[] ids = [0, 7, 6, 2, 7, 8];
        var r = Random(ids.Length * dim, 82);
        double Loss()
        {
            var o = new float[ids.Length * dim];
            using var tt = Tensor.FromData(table, v, dim); using var et = Tensor.FromData(extra, e, dim);
            fixed (float* op = o) Embedding.Forward(op, ids, tt, et);
            return Dot(r, o);
        }
        var dRows = new float[e * dim];
        fixed (float* dp = dRows, rp = r) Embedding.BackwardRows(dp, v, e, ids, rp, dim);
        Check("embedding new rows", extra, dRows, Loss);
        // Trainable subset starting inside the extra rows: rows 6 and 8 only.
        var sub = new float[2 * dim];
        fixed (float* dp = sub, rp = r) Embedding.BackwardRows(dp, 7, 2, ids, rp, dim);
        for (int j = 0; j < dim; j++) Assert.Equal(r[1 * dim + j] + r[4 * dim + j], sub[j], 6);
        for (int j = 0; j < dim; j++) Assert.Equal(r[5 * dim + j], sub[dim + j]);
    }

    [Fact]
    public void Elementwise_gradients()
    {
        const int n = 9;
        var a = Random(n, 90); var b = Random(n, 91); var r = Random(n, 92);
        double MulLoss() { var y = new float[n]; fixed (float* yp = y, ap = a, bp = b) Elementwise.Mul(ap, bp, yp, n); return Dot(r, y); }
        double AddScaleLoss()
        {
            var y = new float[n];
            fixed (float* yp = y, ap = a, bp = b) { Elementwise.Add(ap, bp, yp, n); Elementwise.Scale(yp, 1.5f, yp, n); }
            return Dot(r, y);
        }
        var da = new float[n]; var db = new float[n]; var ds = new float[n];
        fixed (float* dap = da, dbp = db, dsp = ds, rp = r, ap = a, bp = b)
        {
            Elementwise.MulBackward(rp, ap, bp, dap, dbp, n);
            Elementwise.ScaleBackward(rp, 1.5f, dsp, n);
        }
        Check("mul da", a, da, MulLoss);
        Check("mul db", b, db, MulLoss);
        Check("add+scale da", a, ds, AddScaleLoss);
    }

    [Fact]
    public void Dropout_is_seeded_and_backward_uses_the_mask()
    {
        const int n = 2000;
        var x = Random(n, 100); var y1 = new float[n]; var y2 = new float[n]; var m1 = new byte[n]; var m2 = new byte[n];
        fixed (float* xp = x, a = y1, b = y2) fixed (byte* ma = m1, mb = m2)
        {
            Dropout.Forward(a, ma, xp, n, 0.25f, 7);
            Dropout.Forward(b, mb, xp, n, 0.25f, 7);
        }
        Assert.Equal(y1, y2);
        double kept = m1.Count(m => m == 1) / (double)n;
        Assert.InRange(kept, 0.70, 0.80);
        var r = Random(n, 101);
        double Loss() { var y = new float[n]; var m = new byte[n]; fixed (float* yp = y, xp = x) fixed (byte* mp = m) Dropout.Forward(yp, mp, xp, n, 0.25f, 7); return Dot(r, y); }
        var dx = new float[n];
        fixed (float* dp = dx, rp = r) fixed (byte* mp = m1) Dropout.Backward(dp, rp, mp, n, 0.25f);
        Check("dropout dx", x, dx, Loss);
    }

    [Fact]
    public void Mismatched_shapes_name_both_shapes()
    {
        using var w = Tensor.Zeros(4, 5);
        var buf = GC.AllocateArray<float>(64, pinned: true);
        float* p = (float*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref buf[0]);
        {
            var e = Assert.Throws<ShapeMismatchException>(() => Linear.Forward(p, p, w, null, 2, 6, 4));
            Assert.Contains("[4, 5]", e.Message); Assert.Contains("[4, 6]", e.Message);
            using var norm = Tensor.Zeros(7);
            var e2 = Assert.Throws<ShapeMismatchException>(() => RmsNorm.Forward(p, p, p, norm, 2, 8, 1e-5f));
            Assert.Contains("[7]", e2.Message); Assert.Contains("[8]", e2.Message);
            var e3 = Assert.Throws<ShapeMismatchException>(() => CrossEntropy.Forward(p, [1, 2, 3], [], 2, 4));
            Assert.Contains("[3]", e3.Message); Assert.Contains("[2, 4]", e3.Message);
            using var extra = Tensor.Zeros(2, 3);
            var e4 = Assert.Throws<ShapeMismatchException>(() => Embedding.Forward(p, [0], w, extra));
            Assert.Contains("[2, 3]", e4.Message); Assert.Contains("[4, 5]", e4.Message);
            var e5 = Assert.Throws<SpeechTokException>(() => Embedding.Forward(p, [9], w));
            Assert.Contains("9", e5.Message);
            var e6 = Assert.Throws<SpeechTokException>(() => CrossEntropy.Forward(p, [5, 0], [], 2, 4));
            Assert.Contains("target 5", e6.Message);
        }
    }
}
