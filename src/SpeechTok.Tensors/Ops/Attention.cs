using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

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
        int rb = CausalRows(t, d);
        // S = scale·Q·Kᵀ per head; query head g·rep + r reads KV group g. Row block [i0, i1) only needs keys < i1.
        Products(b, rep, hkv, t, d, (bi, r, g, threads) =>
        {
            long h = (long)bi * hq + g * rep + r;
            float* qh = (float*)qa + ((long)bi * t * hq + g * rep + r) * d, kh = (float*)ka + ((long)bi * t * hkv + g) * d, ph = (float*)pa + h * t * t;
            for (int i0 = 0, i1; i0 < t; i0 = i1)
            {
                i1 = BlockEnd(i0, t, rb);
                GemmDriver<F32Element>.Run(GemmPlan.Default, false, true, i1 - i0, i1, d, scale, qh + (long)i0 * hq * d, hq * d,
                    kh, hkv * d, 0f, ph + (long)i0 * t, t, threads);
            }
        });
        MaskedSoftmax(probs, mask, b, t, hq);
        // out = P·V; P[i, j ≥ i1] = +0 in row block [i0, i1), so the sum stops at i1.
        Products(b, rep, hkv, t, d, (bi, r, g, threads) =>
        {
            long h = (long)bi * hq + g * rep + r;
            float* ph = (float*)pa + h * t * t, vh = (float*)va + ((long)bi * t * hkv + g) * d, oh = (float*)oa + ((long)bi * t * hq + g * rep + r) * d;
            for (int i0 = 0, i1; i0 < t; i0 = i1)
            {
                i1 = BlockEnd(i0, t, rb);
                GemmDriver<F32Element>.Run(GemmPlan.Default, false, false, i1 - i0, d, i1, 1f, ph + (long)i0 * t, t,
                    vh, hkv * d, 0f, oh + (long)i0 * hq * d, hq * d, threads);
            }
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
            int rb = CausalRows(t, d);
            // dP = dOut·Vᵀ on the causal row blocks; the rest of each row is set to +0 (as P is there), so the
            // row sums below see the same terms as over full rows: a ±0 term never changes a sum that starts at +0.
            Products(b, rep, hkv, t, d, (bi, r, g, threads) =>
            {
                long h = (long)bi * hq + g * rep + r;
                float* doh = (float*)doa + ((long)bi * t * hq + g * rep + r) * d, vh = (float*)va + ((long)bi * t * hkv + g) * d, dsh = (float*)dsp + h * t * t;
                for (int i0 = 0, i1; i0 < t; i0 = i1)
                {
                    i1 = BlockEnd(i0, t, rb);
                    GemmDriver<F32Element>.Run(GemmPlan.Default, false, true, i1 - i0, i1, d, 1f, doh + (long)i0 * hq * d, hq * d,
                        vh, hkv * d, 0f, dsh + (long)i0 * t, t, threads);
                    for (int i = i0; i < i1; i++) new Span<float>(dsh + (long)i * t + i1, t - i1).Clear();
                }
            });
            // dS = scale·P ⊙ (dP − Σ P·dP), row by row: the sum over the whole row (its grouping sets its rounding),
            // the rest only up to the end of the row's causal block (the products read no further), in one pass that
            // rounds each step as the separate subtract, multiply, multiply did.
            Threading.ForRange(b * hq * t, 64, (s, e) =>
            {
                for (long row = s; row < e; row++)
                {
                    float* p = (float*)pp + row * t, g = (float*)dsp + row * t;
                    int end = RowBlockEnd((int)(row % t), t, rb);
                    float dot = TensorPrimitives.Dot(new ReadOnlySpan<float>(p, t), new ReadOnlySpan<float>(g, t));
                    int j = 0;
                    var vdot = Vector512.Create(dot);
                    var vscale = Vector512.Create(scale);
                    for (; Vector512.IsHardwareAccelerated && j <= end - 16; j += 16) // else the scalar loop: emulated lanes are slower
                        ((Vector512.Load(g + j) - vdot) * Vector512.Load(p + j) * vscale).Store(g + j);
                    for (; j < end; j++) g[j] = (g[j] - dot) * p[j] * scale;
                }
            });
            // dQ += dS·K; dK += dSᵀ·Q; dV += Pᵀ·dOut (the heads of group g add into its dK, dV in the order of r).
            // dS and P are ±0 above the diagonal: query block [i0, i1) sums keys < i1, and key block [i0, i1) sums
            // queries ≥ i0; the skipped terms are zeros at the end or the start of a sum that starts at +0 (exact).
            Products(b, rep, hkv, t, d, (bi, r, g, threads) =>
            {
                long h = (long)bi * hq + g * rep + r, qo = ((long)bi * t * hq + g * rep + r) * d, ko = ((long)bi * t * hkv + g) * d;
                float* dsh = (float*)dsp + h * t * t, ph = (float*)pp + h * t * t;
                for (int i0 = 0, i1; i0 < t; i0 = i1)
                {
                    i1 = BlockEnd(i0, t, rb);
                    long qi = qo + (long)i0 * hq * d, ki = ko + (long)i0 * hkv * d, di = (long)i0 * t + i0;
                    GemmDriver<F32Element>.Run(GemmPlan.Default, false, false, i1 - i0, d, i1, 1f, dsh + (long)i0 * t, t, (float*)ka + ko, hkv * d, 1f, (float*)dqa + qi, hq * d, threads);
                    GemmDriver<F32Element>.Run(GemmPlan.Default, true, false, i1 - i0, d, t - i0, 1f, dsh + di, t, (float*)qa + qi, hq * d, 1f, (float*)dka + ki, hkv * d, threads);
                    GemmDriver<F32Element>.Run(GemmPlan.Default, true, false, i1 - i0, d, t - i0, 1f, ph + di, t, (float*)doa + qi, hq * d, 1f, (float*)dva + ki, hkv * d, threads);
                }
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
        // Causal row blocks are small products: one thread each (a fork per block would cost more than it saves).
        int threads = CausalRows(t, d) < t ? 1 : Gemm.BatchThreads(t, t, d, hkv);
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

    /// <summary>
    /// Rows per causal block: query block [i0, i1) needs keys below i1 only, which skips about half of the t×t
    /// products. Each element keeps its bits: it is the same in-order multiply-add chain whatever the tiling
    /// (alpha 1 or beta 0), skipped terms are exact zeros, and blocks stay above the skinny threshold (another
    /// kernel) with every sum within one KC depth block. t when those conditions fail (one block: the full product).
    /// </summary>
    private static int CausalRows(int t, int d)
    {
        var plan = GemmPlan.Default;
        // 3 register tiles of rows (42 on the wide plan): 2 (28) skip more but pack more per block, measured slower at t = 256.
        int rb = plan.MR * Math.Max(3, (plan.SkinnyMax + plan.MR) / plan.MR);
        // d ≤ KC: one depth block, so edge and full tiles round alike whatever the block's row count.
        return t <= plan.KC && d > plan.SkinnyMax && d <= plan.KC && t >= 2 * rb ? rb : t;
    }

    /// <summary>End of the block starting at i0: rb rows, or up to t when fewer than rb would be left after it.</summary>
    private static int BlockEnd(int i0, int t, int rb) => t - (i0 + rb) < rb ? t : i0 + rb;

    /// <summary>End of the block that holds row i (t / rb blocks, the last one to t).</summary>
    private static int RowBlockEnd(int i, int t, int rb) => i / rb >= t / rb - 1 ? t : (i / rb + 1) * rb;

    private static void MaskedSoftmax(float* scores, ReadOnlySpan<int> mask, int b, int t, int hq)
    {
        int[]? m = mask.IsEmpty ? null : mask.ToArray();
        // First masked key of each batch row: queries before it see no masked key, so their scan is skipped.
        var firstMasked = new int[b];
        for (int bi = 0; bi < b; bi++)
        {
            int j = 0;
            while (j < t && (m == null || m[bi * t + j] != 0)) j++;
            firstMasked[bi] = j;
        }
        nint sp = (nint)scores;
        Threading.ForRange(b * hq * t, 64, (s, e) =>
        {
            for (long row = s; row < e; row++)
            {
                int i = (int)(row % t), bi = (int)(row / ((long)hq * t));
                var p = new Span<float>((float*)sp + row * t, t);
                var live = p[..(i + 1)]; // causal: keys 0..i
                if (m != null && i >= firstMasked[bi])
                    for (int j = firstMasked[bi]; j <= i; j++)
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
