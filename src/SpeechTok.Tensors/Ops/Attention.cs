using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace SpeechTok.Tensors.Ops;

/// <summary>
/// Causal scaled-dot-product self-attention with a key padding mask and grouped KV heads (GQA): query
/// head h reads KV head h / (hq / hkv), as HF's repeat_kv. Layouts: q, out [b, t, hq, d]; k, v [b, t, hkv, d];
/// probabilities [b, hq, t, t] are saved for the backward pass. Query i attends to keys s ≤ i whose mask is 1.
/// The per-head products (t×t×d) are small: they run in one parallel loop over (batch row, KV group) units,
/// one thread each, as <see cref="Gemm.SgemmBatched(bool, bool, int, int, int, float, float*, int, long, float*, int, long, float, float*, int, long, int)"/>
/// runs a small batch; large ones run one after another on all threads.
/// </summary>
public static unsafe class Attention
{
    /// <param name="mask">[b, t] key mask (1 = real token), or empty for all-real.</param>
    public static void Forward(float* output, float* probs, float* q, float* k, float* v, ReadOnlySpan<int> mask,
        int b, int t, int hq, int hkv, int d)
    {
        Check(mask, b, t, hq, hkv);
        int rep = hq / hkv;
        float scale = 1f / MathF.Sqrt(d);
        nint qa = (nint)q, ka = (nint)k, va = (nint)v, pa = (nint)probs, oa = (nint)output;
        // S = scale·Q·Kᵀ per head; query head g·rep + r reads KV group g.
        Products(b, rep, hkv, t, d, (bi, r, g, threads) =>
        {
            long h = (long)bi * hq + g * rep + r;
            GemmDriver<F32Element>.Run(GemmPlan.Default, false, true, t, t, d, scale, (float*)qa + ((long)bi * t * hq + g * rep + r) * d, hq * d,
                (float*)ka + ((long)bi * t * hkv + g) * d, hkv * d, 0f, (float*)pa + h * t * t, t, threads);
        });
        MaskedSoftmax(probs, mask, b, t, hq);
        // out = P·V
        Products(b, rep, hkv, t, d, (bi, r, g, threads) =>
        {
            long h = (long)bi * hq + g * rep + r;
            GemmDriver<F32Element>.Run(GemmPlan.Default, false, false, t, d, t, 1f, (float*)pa + h * t * t, t,
                (float*)va + ((long)bi * t * hkv + g) * d, hkv * d, 0f, (float*)oa + ((long)bi * t * hq + g * rep + r) * d, hq * d, threads);
        });
    }

    /// <summary>Accumulates dq, dk, dv (+=) from dOut, using the saved probabilities.</summary>
    public static void Backward(float* dq, float* dk, float* dv, float* dOut, float* probs, float* q, float* k, float* v,
        int b, int t, int hq, int hkv, int d)
    {
        int rep = hq / hkv;
        float scale = 1f / MathF.Sqrt(d);
        long pn = (long)b * hq * t * t;
        float* ds = (float*)NativeMemory.AlignedAlloc((nuint)(pn * sizeof(float)), 64);
        try
        {
            nint dsp = (nint)ds, pp = (nint)probs, doa = (nint)dOut, qa = (nint)q, ka = (nint)k, va = (nint)v;
            nint dqa = (nint)dq, dka = (nint)dk, dva = (nint)dv;
            // dP = dOut·Vᵀ
            Products(b, rep, hkv, t, d, (bi, r, g, threads) =>
            {
                long h = (long)bi * hq + g * rep + r;
                GemmDriver<F32Element>.Run(GemmPlan.Default, false, true, t, t, d, 1f, (float*)doa + ((long)bi * t * hq + g * rep + r) * d, hq * d,
                    (float*)va + ((long)bi * t * hkv + g) * d, hkv * d, 0f, (float*)dsp + h * t * t, t, threads);
            });
            // dS = scale·P ⊙ (dP − Σ P·dP), row by row
            Threading.ForRange(b * hq * t, 64, (s, e) =>
            {
                for (long row = s; row < e; row++)
                {
                    var p = new ReadOnlySpan<float>((float*)pp + row * t, t);
                    var g = new Span<float>((float*)dsp + row * t, t);
                    float dot = TensorPrimitives.Dot(p, g);
                    TensorPrimitives.Subtract(g, dot, g);
                    TensorPrimitives.Multiply(g, p, g);
                    TensorPrimitives.Multiply(g, scale, g);
                }
            });
            // dQ += dS·K; dK += dSᵀ·Q; dV += Pᵀ·dOut (the heads of group g add into its dK, dV in the order of r)
            Products(b, rep, hkv, t, d, (bi, r, g, threads) =>
            {
                long h = (long)bi * hq + g * rep + r, qo = ((long)bi * t * hq + g * rep + r) * d, ko = ((long)bi * t * hkv + g) * d;
                float* dsh = (float*)dsp + h * t * t, ph = (float*)pp + h * t * t;
                GemmDriver<F32Element>.Run(GemmPlan.Default, false, false, t, d, t, 1f, dsh, t, (float*)ka + ko, hkv * d, 1f, (float*)dqa + qo, hq * d, threads);
                GemmDriver<F32Element>.Run(GemmPlan.Default, true, false, t, d, t, 1f, dsh, t, (float*)qa + qo, hq * d, 1f, (float*)dka + ko, hkv * d, threads);
                GemmDriver<F32Element>.Run(GemmPlan.Default, true, false, t, d, t, 1f, ph, t, (float*)doa + qo, hq * d, 1f, (float*)dva + ko, hkv * d, threads);
            });
        }
        finally { NativeMemory.AlignedFree(ds); }
    }

    /// <summary>
    /// product(bi, r, g, threads) for every batch row bi, query slot r and KV group g (query head g·rep + r), each
    /// product t×t×d in size. Each runs on the threads <see cref="Gemm.BatchThreads"/> gives a batch of the hkv
    /// products of one (bi, r) (what SgemmBatched over the groups ran); the small ones of all (bi, g) go to one
    /// parallel loop rather than b·rep loops of microsecond parts. A unit (bi, g) runs r in order, so what the
    /// heads of a group add into its dK and dV is added in the same order.
    /// </summary>
    private static void Products(int b, int rep, int hkv, int t, int d, Action<int, int, int, int> product)
    {
        int threads = Gemm.BatchThreads(t, t, d, hkv);
        if (threads > 1)
        {
            for (int bi = 0; bi < b; bi++)
                for (int r = 0; r < rep; r++)
                    for (int g = 0; g < hkv; g++) product(bi, r, g, threads);
            return;
        }
        Threading.For(b * hkv, u =>
        {
            for (int r = 0; r < rep; r++) product(u / hkv, r, u % hkv, 1);
        });
    }

    private static void MaskedSoftmax(float* scores, ReadOnlySpan<int> mask, int b, int t, int hq)
    {
        int[]? m = mask.IsEmpty ? null : mask.ToArray();
        nint sp = (nint)scores;
        Threading.ForRange(b * hq * t, 64, (s, e) =>
        {
            for (long row = s; row < e; row++)
            {
                int i = (int)(row % t), bi = (int)(row / ((long)hq * t));
                var p = new Span<float>((float*)sp + row * t, t);
                var live = p[..(i + 1)]; // causal: keys 0..i
                if (m != null)
                    for (int j = 0; j <= i; j++)
                        if (m[bi * t + j] == 0) live[j] = float.NegativeInfinity; // exp(−∞) = 0
                float max = TensorPrimitives.Max(live);
                if (float.IsNegativeInfinity(max)) { p.Clear(); continue; } // every key masked
                TensorPrimitives.Subtract(live, max, live);
                TensorPrimitives.Exp(live, live);
                TensorPrimitives.Multiply(live, 1f / TensorPrimitives.Sum(live), live);
                p[(i + 1)..].Clear();
            }
        });
    }

    private static void Check(ReadOnlySpan<int> mask, int b, int t, int hq, int hkv)
    {
        if (hkv <= 0 || hq % hkv != 0) throw new SpeechTokException($"{hq} query heads cannot be grouped over {hkv} key/value heads");
        if (!mask.IsEmpty && mask.Length != b * t) throw ShapeMismatchException.Of("attention mask vs [batch, seq]", [mask.Length], [b, t]);
    }
}
