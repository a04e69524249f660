using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace SpeechTok.Tensors.Ops;

/// <summary>
/// Causal scaled-dot-product self-attention with a key padding mask and grouped KV heads (GQA): query
/// head h reads KV head h / (hq / hkv), as HF's repeat_kv. Sequences are packed one after another
/// (flash-attn's varlen layout): sequence i holds rows cuSeqlens[i] .. cuSeqlens[i+1] − 1 of q, out [n, hq, d]
/// and k, v [n, hkv, d], and attends only within itself, so a batch of unequal lengths costs Σ tᵢ² rather than
/// b·T² (HF's padding-free training). The (b, t) overloads are the padded special case, cuSeqlens = 0, t, 2t, ….
/// Probabilities are saved for the backward pass, per sequence [hq, tᵢ, tᵢ] one after another (for equal lengths:
/// [b, hq, t, t]). Query i attends to keys s ≤ i of its sequence whose mask is 1.
/// The per-head products (tᵢ×tᵢ×d) are small: they run in one parallel loop over (sequence, KV group) units,
/// one thread each, as <see cref="Gemm.SgemmBatched(bool, bool, int, int, int, float, float*, int, long, float*, int, long, float, float*, int, long, int)"/>
/// runs a small batch; large ones run one after another on all threads.
/// </summary>
public static unsafe class Attention
{
    /// <param name="mask">[b, t] key mask (1 = real token), or empty for all-real.</param>
    public static void Forward(float* output, float* probs, float* q, float* k, float* v, ReadOnlySpan<int> mask,
        int b, int t, int hq, int hkv, int d)
    {
        if (!mask.IsEmpty && mask.Length != b * t) throw ShapeMismatchException.Of("attention mask vs [batch, seq]", [mask.Length], [b, t]);
        Forward(output, probs, q, k, v, UniformSeqlens(b, t), mask, hq, hkv, d);
    }

    /// <summary>Packed sequences: see the type's summary. Throws on a bad cuSeqlens, mask length or head grouping.</summary>
    /// <param name="cuSeqlens">[b + 1] row offsets, 0 first, non-decreasing.</param>
    /// <param name="mask">[n] key mask over the packed rows (1 = real token), or empty for all-real.</param>
    public static void Forward(float* output, float* probs, float* q, float* k, float* v, ReadOnlySpan<int> cuSeqlens, ReadOnlySpan<int> mask,
        int hq, int hkv, int d)
    {
        var s = new Seqs(cuSeqlens, hq, hkv, d);
        if (!mask.IsEmpty && mask.Length != s.Rows) throw ShapeMismatchException.Of("attention mask vs packed rows", [mask.Length], [s.Rows]);
        int rep = hq / hkv;
        float scale = 1f / MathF.Sqrt(d);
        nint qa = (nint)q, ka = (nint)k, va = (nint)v, pa = (nint)probs, oa = (nint)output;
        // S = scale·Q·Kᵀ per head; query head g·rep + r reads KV group g. Row block [i0, i1) only needs keys < i1.
        Products(s, (i, r, g, threads) =>
        {
            int t = s.Length(i), rb = CausalRows(t, d);
            float* qh = (float*)qa + ((long)s.Cu[i] * hq + g * rep + r) * d, kh = (float*)ka + ((long)s.Cu[i] * hkv + g) * d;
            float* ph = (float*)pa + s.ProbsAt[i] + (long)(g * rep + r) * t * t;
            for (int i0 = 0, i1; i0 < t; i0 = i1)
            {
                i1 = BlockEnd(i0, t, rb);
                GemmDriver<F32Element>.Run(GemmPlan.Default, false, true, i1 - i0, i1, d, scale, qh + (long)i0 * hq * d, hq * d,
                    kh, hkv * d, 0f, ph + (long)i0 * t, t, threads);
            }
        });
        MaskedSoftmax(probs, mask, s);
        // out = P·V; P[i, j ≥ i1] = +0 in row block [i0, i1), so the sum stops at i1.
        Products(s, (i, r, g, threads) =>
        {
            int t = s.Length(i), rb = CausalRows(t, d);
            float* ph = (float*)pa + s.ProbsAt[i] + (long)(g * rep + r) * t * t;
            float* vh = (float*)va + ((long)s.Cu[i] * hkv + g) * d, oh = (float*)oa + ((long)s.Cu[i] * hq + g * rep + r) * d;
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
        int b, int t, int hq, int hkv, int d) =>
        Backward(dq, dk, dv, dOut, probs, q, k, v, UniformSeqlens(b, t), hq, hkv, d);

    /// <summary>Packed sequences (see the type's summary): accumulates dq, dk, dv (+=) from dOut, using the saved probabilities.
    /// dk may be null when nothing reads it (its product is skipped; dq and dv are the same bits).</summary>
    public static void Backward(float* dq, float* dk, float* dv, float* dOut, float* probs, float* q, float* k, float* v,
        ReadOnlySpan<int> cuSeqlens, int hq, int hkv, int d)
    {
        var s = new Seqs(cuSeqlens, hq, hkv, d);
        int rep = hq / hkv;
        float scale = 1f / MathF.Sqrt(d);
        float* ds = (float*)NativeMemory.AlignedAlloc((nuint)(Math.Max(1, s.ProbsLength) * sizeof(float)), 64);
        try
        {
            nint dsp = (nint)ds, pp = (nint)probs, doa = (nint)dOut, qa = (nint)q, ka = (nint)k, va = (nint)v;
            nint dqa = (nint)dq, dka = (nint)dk, dva = (nint)dv;
            // dP = dOut·Vᵀ on the causal row blocks; the rest of each row is set to +0 (as P is there), so the
            // row sums below see the same terms as over full rows: a ±0 term never changes a sum that starts at +0.
            Products(s, (i, r, g, threads) =>
            {
                int t = s.Length(i), rb = CausalRows(t, d);
                float* doh = (float*)doa + ((long)s.Cu[i] * hq + g * rep + r) * d, vh = (float*)va + ((long)s.Cu[i] * hkv + g) * d;
                float* dsh = (float*)dsp + s.ProbsAt[i] + (long)(g * rep + r) * t * t;
                for (int i0 = 0, i1; i0 < t; i0 = i1)
                {
                    i1 = BlockEnd(i0, t, rb);
                    GemmDriver<F32Element>.Run(GemmPlan.Default, false, true, i1 - i0, i1, d, 1f, doh + (long)i0 * hq * d, hq * d,
                        vh, hkv * d, 0f, dsh + (long)i0 * t, t, threads);
                    for (int row = i0; row < i1; row++) new Span<float>(dsh + (long)row * t + i1, t - i1).Clear();
                }
            });
            // dS = scale·P ⊙ (dP − Σ P·dP), row by row: the sum over the whole row (its grouping sets its rounding),
            // the rest only up to the end of the row's causal block (the products read no further), in one pass that
            // rounds each step as the separate subtract, multiply, multiply did.
            Threading.ForRange(s.SoftmaxRows, 64, (start, end) =>
            {
                int i = s.SequenceOfSoftmaxRow(start);
                for (int row = start; row < end; row++)
                {
                    while (row >= s.SoftmaxRowsBefore(i + 1)) i++;
                    int t = s.Length(i), local = row - s.SoftmaxRowsBefore(i);
                    float* p = (float*)pp + s.ProbsAt[i] + (long)local * t, g = (float*)dsp + s.ProbsAt[i] + (long)local * t;
                    int stop = RowBlockEnd(local % t, t, CausalRows(t, d));
                    float dot = TensorPrimitives.Dot(new ReadOnlySpan<float>(p, t), new ReadOnlySpan<float>(g, t));
                    int j = 0;
                    var vdot = Vector512.Create(dot);
                    var vscale = Vector512.Create(scale);
                    for (; Vector512.IsHardwareAccelerated && j <= stop - 16; j += 16) // else the scalar loop: emulated lanes are slower
                        ((Vector512.Load(g + j) - vdot) * Vector512.Load(p + j) * vscale).Store(g + j);
                    for (; j < stop; j++) g[j] = (g[j] - dot) * p[j] * scale;
                }
            });
            // dQ += dS·K; dK += dSᵀ·Q; dV += Pᵀ·dOut (the heads of group g add into its dK, dV in the order of r).
            // dS and P are ±0 above the diagonal: query block [i0, i1) sums keys < i1, and key block [i0, i1) sums
            // queries ≥ i0; the skipped terms are zeros at the end or the start of a sum that starts at +0 (exact).
            Products(s, (i, r, g, threads) =>
            {
                int t = s.Length(i), rb = CausalRows(t, d);
                long qo = ((long)s.Cu[i] * hq + g * rep + r) * d, ko = ((long)s.Cu[i] * hkv + g) * d, po = s.ProbsAt[i] + (long)(g * rep + r) * t * t;
                float* dsh = (float*)dsp + po, ph = (float*)pp + po;
                for (int i0 = 0, i1; i0 < t; i0 = i1)
                {
                    i1 = BlockEnd(i0, t, rb);
                    long qi = qo + (long)i0 * hq * d, ki = ko + (long)i0 * hkv * d, di = (long)i0 * t + i0;
                    GemmDriver<F32Element>.Run(GemmPlan.Default, false, false, i1 - i0, d, i1, 1f, dsh + (long)i0 * t, t, (float*)ka + ko, hkv * d, 1f, (float*)dqa + qi, hq * d, threads);
                    if (dka != 0)
                        GemmDriver<F32Element>.Run(GemmPlan.Default, true, false, i1 - i0, d, t - i0, 1f, dsh + di, t, (float*)qa + qi, hq * d, 1f, (float*)dka + ki, hkv * d, threads);
                    GemmDriver<F32Element>.Run(GemmPlan.Default, true, false, i1 - i0, d, t - i0, 1f, ph + di, t, (float*)doa + qi, hq * d, 1f, (float*)dva + ki, hkv * d, threads);
                }
            });
        }
        finally { NativeMemory.AlignedFree(ds); }
    }

    /// <summary>
    /// One query row per packed sequence, as the full causal attention computes that row: query j is position
    /// positions[j] of sequence j and attends its keys 0..positions[j] whose mask is 1. For a head that reads one
    /// position per sequence (a classification head), the last layer needs no other query. q, out [b, hq, d];
    /// k, v [n, hkv, d] as in <see cref="Forward(float*, float*, float*, float*, float*, ReadOnlySpan{int}, ReadOnlySpan{int}, int, int, int)"/>;
    /// probs [b, hq, positions[j] + 1] one after another (<see cref="QueryProbsLength"/> floats).
    /// </summary>
    public static void ForwardQueries(float* output, float* probs, float* q, float* k, float* v, ReadOnlySpan<int> cuSeqlens, ReadOnlySpan<int> positions,
        ReadOnlySpan<int> mask, int hq, int hkv, int d)
    {
        var s = new Seqs(cuSeqlens, hq, hkv, d);
        var (pos, probsAt, m) = CheckQueries(s, positions, mask);
        int rep = hq / hkv;
        float scale = 1f / MathF.Sqrt(d);
        nint qa = (nint)q, ka = (nint)k, va = (nint)v, pa = (nint)probs, oa = (nint)output;
        Threading.For(s.Count * hkv, u =>
        {
            int j = u / hkv, g = u % hkv, len = pos[j] + 1;
            for (int r = 0; r < rep; r++)
            {
                int head = g * rep + r;
                var qh = new ReadOnlySpan<float>((float*)qa + ((long)j * hq + head) * d, d);
                var p = new Span<float>((float*)pa + probsAt[j] + (long)head * len, len);
                for (int key = 0; key < len; key++)
                    p[key] = m != null && m[s.Cu[j] + key] == 0 ? float.NegativeInfinity
                        : scale * TensorPrimitives.Dot(qh, new ReadOnlySpan<float>((float*)ka + ((long)(s.Cu[j] + key) * hkv + g) * d, d));
                var oh = new Span<float>((float*)oa + ((long)j * hq + head) * d, d);
                oh.Clear();
                float max = TensorPrimitives.Max(p);
                if (float.IsNegativeInfinity(max)) { p.Clear(); continue; } // every key masked
                TensorPrimitives.Subtract(p, max, p);
                TensorPrimitives.Exp(p, p);
                TensorPrimitives.Multiply(p, 1f / TensorPrimitives.Sum(p), p);
                for (int key = 0; key < len; key++)
                    TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>((float*)va + ((long)(s.Cu[j] + key) * hkv + g) * d, d), p[key], oh, oh);
            }
        });
    }

    /// <summary>The backward of <see cref="ForwardQueries"/>: dq [b, hq, d], dk, dv [n, hkv, d] accumulate (+=).</summary>
    public static void BackwardQueries(float* dq, float* dk, float* dv, float* dOut, float* probs, float* q, float* k, float* v,
        ReadOnlySpan<int> cuSeqlens, ReadOnlySpan<int> positions, int hq, int hkv, int d)
    {
        var s = new Seqs(cuSeqlens, hq, hkv, d);
        var (pos, probsAt, _) = CheckQueries(s, positions, []);
        int rep = hq / hkv;
        float scale = 1f / MathF.Sqrt(d);
        nint qa = (nint)q, ka = (nint)k, va = (nint)v, pa = (nint)probs, doa = (nint)dOut, dqa = (nint)dq, dka = (nint)dk, dva = (nint)dv;
        // A unit (j, g) owns the dK, dV rows of sequence j and group g; its heads add into them in the order of r.
        Threading.For(s.Count * hkv, u =>
        {
            int j = u / hkv, g = u % hkv, len = pos[j] + 1;
            var ds = new float[len];
            for (int r = 0; r < rep; r++)
            {
                int head = g * rep + r;
                long qo = ((long)j * hq + head) * d;
                var qh = new ReadOnlySpan<float>((float*)qa + qo, d);
                var doh = new ReadOnlySpan<float>((float*)doa + qo, d);
                var dqh = new Span<float>((float*)dqa + qo, d);
                var p = new ReadOnlySpan<float>((float*)pa + probsAt[j] + (long)head * len, len);
                for (int key = 0; key < len; key++)
                    ds[key] = TensorPrimitives.Dot(doh, new ReadOnlySpan<float>((float*)va + ((long)(s.Cu[j] + key) * hkv + g) * d, d));
                float dot = TensorPrimitives.Dot(p, ds);
                for (int key = 0; key < len; key++)
                {
                    long ko = ((long)(s.Cu[j] + key) * hkv + g) * d;
                    float dsk = (ds[key] - dot) * p[key] * scale;
                    TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>((float*)ka + ko, d), dsk, dqh, dqh);
                    var dkh = new Span<float>((float*)dka + ko, d);
                    TensorPrimitives.MultiplyAdd(qh, dsk, dkh, dkh);
                    var dvh = new Span<float>((float*)dva + ko, d);
                    TensorPrimitives.MultiplyAdd(doh, p[key], dvh, dvh);
                }
            }
        });
    }

    /// <summary>Floats of the saved probabilities of <see cref="ForwardQueries"/>: hq · Σ (positions[j] + 1).</summary>
    public static long QueryProbsLength(ReadOnlySpan<int> positions, int hq)
    {
        long sum = 0;
        foreach (int p in positions) sum += p + 1;
        return sum * hq;
    }

    private static (int[] Positions, long[] ProbsAt, int[]? Mask) CheckQueries(Seqs s, ReadOnlySpan<int> positions, ReadOnlySpan<int> mask)
    {
        if (positions.Length != s.Count) throw ShapeMismatchException.Of("query positions vs sequences", [positions.Length], [s.Count]);
        if (!mask.IsEmpty && mask.Length != s.Rows) throw ShapeMismatchException.Of("attention mask vs packed rows", [mask.Length], [s.Rows]);
        var probsAt = new long[s.Count];
        for (int j = 0; j < s.Count; j++)
        {
            if ((uint)positions[j] >= (uint)s.Length(j))
                throw new SpeechTokException($"query position {positions[j]} is outside sequence {j} of length {s.Length(j)}");
            if (j + 1 < s.Count) probsAt[j + 1] = probsAt[j] + (long)s.Hq * (positions[j] + 1);
        }
        return (positions.ToArray(), probsAt, mask.IsEmpty ? null : mask.ToArray());
    }

    /// <summary>Floats of the saved probabilities for packed sequences: hq · Σ tᵢ².</summary>
    public static long ProbsLength(ReadOnlySpan<int> cuSeqlens, int hq)
    {
        long sum = 0;
        for (int i = 0; i + 1 < cuSeqlens.Length; i++) sum += (long)(cuSeqlens[i + 1] - cuSeqlens[i]) * (cuSeqlens[i + 1] - cuSeqlens[i]);
        return sum * hq;
    }

    private static int[] UniformSeqlens(int b, int t)
    {
        var cu = new int[b + 1];
        for (int i = 0; i <= b; i++) cu[i] = i * t;
        return cu;
    }

    /// <summary>The packed sequences of one call: offsets, probability offsets and softmax-row numbering.</summary>
    private sealed class Seqs
    {
        public readonly int[] Cu;
        public readonly long[] ProbsAt;
        public readonly int Hq, Hkv, D, Rows, SoftmaxRows;
        public readonly long ProbsLength;

        public Seqs(ReadOnlySpan<int> cuSeqlens, int hq, int hkv, int d)
        {
            if (hkv <= 0 || hq % hkv != 0) throw new SpeechTokException($"{hq} query heads cannot be grouped over {hkv} key/value heads");
            if (cuSeqlens.Length < 1 || cuSeqlens[0] != 0) throw new SpeechTokException("cu_seqlens must start with 0");
            Cu = cuSeqlens.ToArray();
            ProbsAt = new long[Cu.Length];
            for (int i = 0; i + 1 < Cu.Length; i++)
            {
                int t = Cu[i + 1] - Cu[i];
                if (t < 0) throw new SpeechTokException($"cu_seqlens must not decrease: {Cu[i]} then {Cu[i + 1]} at {i}");
                ProbsAt[i + 1] = ProbsAt[i] + (long)hq * t * t;
            }
            Hq = hq; Hkv = hkv; D = d;
            Rows = Cu[^1];
            SoftmaxRows = checked(hq * Rows);
            ProbsLength = ProbsAt[^1];
        }

        public int Count => Cu.Length - 1;
        public int Length(int i) => Cu[i + 1] - Cu[i];
        /// <summary>Softmax rows (head, query) of the sequences before i: hq per packed row.</summary>
        public int SoftmaxRowsBefore(int i) => Hq * Cu[i];

        /// <summary>The non-empty sequence holding softmax row <paramref name="row"/>.</summary>
        public int SequenceOfSoftmaxRow(int row)
        {
            int lo = 0, hi = Count - 1; // the last i with Hq·Cu[i] ≤ row
            while (lo < hi)
            {
                int mid = (lo + hi + 1) / 2;
                if (SoftmaxRowsBefore(mid) <= row) lo = mid; else hi = mid - 1;
            }
            return lo;
        }
    }

    /// <summary>
    /// product(i, r, g, threads) for every sequence i, query slot r and KV group g (query head g·rep + r), each
    /// product tᵢ×tᵢ×d in size. A large one runs on the threads <see cref="Gemm.BatchThreads"/> gives a batch of the
    /// hkv products of one (i, r) (what SgemmBatched over the groups ran); the small ones of all (i, g) go to one
    /// parallel loop rather than b·rep loops of microsecond parts. A unit (i, g) runs r in order, so what the
    /// heads of a group add into its dK and dV is added in the same order.
    /// </summary>
    private static void Products(Seqs s, Action<int, int, int, int> product)
    {
        int hkv = s.Hkv, rep = s.Hq / hkv;
        var small = new List<int>(s.Count);
        for (int i = 0; i < s.Count; i++)
        {
            int t = s.Length(i);
            if (t == 0) continue;
            // Causal row blocks are small products: one thread each (a fork per block would cost more than it saves).
            int threads = CausalRows(t, s.D) < t ? 1 : Gemm.BatchThreads(t, t, s.D, hkv);
            if (threads == 1) { small.Add(i); continue; }
            for (int r = 0; r < rep; r++)
                for (int g = 0; g < hkv; g++) product(i, r, g, threads);
        }
        Threading.For(small.Count * hkv, u =>
        {
            for (int r = 0; r < rep; r++) product(small[u / hkv], r, u % hkv, 1);
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

    private static void MaskedSoftmax(float* scores, ReadOnlySpan<int> mask, Seqs s)
    {
        int[]? m = mask.IsEmpty ? null : mask.ToArray();
        // First masked key of each sequence: queries before it see no masked key, so their scan is skipped.
        var firstMasked = new int[s.Count];
        for (int i = 0; i < s.Count; i++)
        {
            int j = 0, t = s.Length(i);
            while (j < t && (m == null || m[s.Cu[i] + j] != 0)) j++;
            firstMasked[i] = j;
        }
        nint sp = (nint)scores;
        Threading.ForRange(s.SoftmaxRows, 64, (start, end) =>
        {
            int seq = s.SequenceOfSoftmaxRow(start);
            for (int row = start; row < end; row++)
            {
                while (row >= s.SoftmaxRowsBefore(seq + 1)) seq++;
                int t = s.Length(seq), local = row - s.SoftmaxRowsBefore(seq), i = local % t, first = firstMasked[seq];
                var p = new Span<float>((float*)sp + s.ProbsAt[seq] + (long)local * t, t);
                var live = p[..(i + 1)]; // causal: keys 0..i
                if (m != null && i >= first)
                    for (int j = first; j <= i; j++)
                        if (m[s.Cu[seq] + j] == 0) live[j] = float.NegativeInfinity; // exp(−∞) = 0
                float max = TensorPrimitives.Max(live);
                if (float.IsNegativeInfinity(max)) { p.Clear(); continue; } // every key masked
                TensorPrimitives.Subtract(live, max, live);
                TensorPrimitives.Exp(live, live);
                TensorPrimitives.Multiply(live, 1f / TensorPrimitives.Sum(live), live);
                p[(i + 1)..].Clear();
            }
        });
    }
}
