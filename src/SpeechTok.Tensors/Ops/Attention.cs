using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace SpeechTok.Tensors.Ops;

/// <summary>
/// Causal scaled-dot-product self-attention with a key padding mask and grouped KV heads (GQA): query
/// head h reads KV head h / (hq / hkv), as HF's repeat_kv. Layouts: q, out [b, t, hq, d]; k, v [b, t, hkv, d];
/// probabilities [b, hq, t, t] are saved for the backward pass. Query i attends to keys s ≤ i whose mask is 1.
/// The products run as batched GEMMs over the KV groups (the heads of one group share K and V, so query
/// heads h = g·rep + r with the same r form one batch with uniform strides).
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
        for (int bi = 0; bi < b; bi++)
            for (int r = 0; r < rep; r++)
                Gemm.SgemmBatched(false, true, t, t, d, scale,
                    q + ((long)bi * t * hq + r) * d, hq * d, rep * d,
                    k + (long)bi * t * hkv * d, hkv * d, d,
                    0f, probs + ((long)bi * hq + r) * t * t, t, (long)rep * t * t, hkv);
        MaskedSoftmax(probs, mask, b, t, hq);
        for (int bi = 0; bi < b; bi++)
            for (int r = 0; r < rep; r++)
                Gemm.SgemmBatched(false, false, t, d, t, 1f,
                    probs + ((long)bi * hq + r) * t * t, t, (long)rep * t * t,
                    v + (long)bi * t * hkv * d, hkv * d, d,
                    0f, output + ((long)bi * t * hq + r) * d, hq * d, rep * d, hkv);
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
            // dP = dOut·Vᵀ
            for (int bi = 0; bi < b; bi++)
                for (int r = 0; r < rep; r++)
                    Gemm.SgemmBatched(false, true, t, t, d, 1f,
                        dOut + ((long)bi * t * hq + r) * d, hq * d, rep * d,
                        v + (long)bi * t * hkv * d, hkv * d, d,
                        0f, ds + ((long)bi * hq + r) * t * t, t, (long)rep * t * t, hkv);
            // dS = scale·P ⊙ (dP − Σ P·dP), row by row
            nint dsp = (nint)ds, pp = (nint)probs;
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
            for (int bi = 0; bi < b; bi++)
                for (int r = 0; r < rep; r++)
                {
                    float* dsh = ds + ((long)bi * hq + r) * t * t, ph = probs + ((long)bi * hq + r) * t * t;
                    long qo = ((long)bi * t * hq + r) * d, ko = (long)bi * t * hkv * d;
                    // dQ += dS·K; dK += dSᵀ·Q; dV += Pᵀ·dOut (heads with the same r touch distinct KV groups)
                    Gemm.SgemmBatched(false, false, t, d, t, 1f, dsh, t, (long)rep * t * t, k + ko, hkv * d, d, 1f, dq + qo, hq * d, rep * d, hkv);
                    Gemm.SgemmBatched(true, false, t, d, t, 1f, dsh, t, (long)rep * t * t, q + qo, hq * d, rep * d, 1f, dk + ko, hkv * d, d, hkv);
                    Gemm.SgemmBatched(true, false, t, d, t, 1f, ph, t, (long)rep * t * t, dOut + qo, hq * d, rep * d, 1f, dv + ko, hkv * d, d, hkv);
                }
        }
        finally { NativeMemory.AlignedFree(ds); }
    }

    /// <summary>Row i of each [t, t] score block: softmax over keys s ≤ i with mask 1; other entries 0 (all 0 if none).</summary>
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
