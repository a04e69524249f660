using System.Numerics.Tensors;

namespace SpeechTok.Tensors.Ops;

/// <summary>
/// Causal scaled-dot-product self-attention with a key padding mask and grouped KV heads (GQA): query
/// head h reads KV head h / (hq / hkv), as HF's repeat_kv. Layouts: q, out [b, t, hq, d]; k, v [b, t, hkv, d];
/// probabilities [b, hq, t, t] are saved for the backward pass. Query t attends to keys s ≤ t whose mask is 1.
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
        nint op = (nint)output, pp = (nint)probs, qp = (nint)q, kp = (nint)k, vp = (nint)v;
        int[]? m = mask.IsEmpty ? null : mask.ToArray();
        Threading.For(b * hq, bh =>
        {
            int bi = bh / hq, h = bh % hq, g = h / rep;
            for (int i = 0; i < t; i++)
            {
                float* qi = (float*)qp + (((long)bi * t + i) * hq + h) * d;
                float* p = (float*)pp + ((long)bh * t + i) * t;
                float* oi = (float*)op + (((long)bi * t + i) * hq + h) * d;
                float max = float.NegativeInfinity;
                for (int s = 0; s < t; s++)
                {
                    if (s > i || (m != null && m[bi * t + s] == 0)) { p[s] = float.NegativeInfinity; continue; }
                    float* ks = (float*)kp + (((long)bi * t + s) * hkv + g) * d;
                    float sc = TensorPrimitives.Dot(new ReadOnlySpan<float>(qi, d), new ReadOnlySpan<float>(ks, d)) * scale;
                    p[s] = sc;
                    if (sc > max) max = sc;
                }
                var od = new Span<float>(oi, d);
                od.Clear();
                if (float.IsNegativeInfinity(max)) { new Span<float>(p, t).Clear(); continue; } // every key masked
                float sum = 0;
                for (int s = 0; s < t; s++)
                {
                    float e = float.IsNegativeInfinity(p[s]) ? 0f : MathF.Exp(p[s] - max);
                    p[s] = e;
                    sum += e;
                }
                float inv = 1f / sum;
                for (int s = 0; s <= i; s++)
                {
                    p[s] *= inv;
                    if (p[s] == 0) continue;
                    float* vs = (float*)vp + (((long)bi * t + s) * hkv + g) * d;
                    TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(vs, d), p[s], od, od);
                }
            }
        });
    }

    /// <summary>Accumulates dq, dk, dv (+=) from dOut, using the saved probabilities.</summary>
    public static void Backward(float* dq, float* dk, float* dv, float* dOut, float* probs, float* q, float* k, float* v,
        int b, int t, int hq, int hkv, int d)
    {
        int rep = hq / hkv;
        float scale = 1f / MathF.Sqrt(d);
        nint dqp = (nint)dq, dkp = (nint)dk, dvp = (nint)dv, dop = (nint)dOut, pp = (nint)probs, qp = (nint)q, kp = (nint)k, vp = (nint)v;
        // One task per (batch, KV head): the query heads of a group write the same dk/dv rows.
        Threading.For(b * hkv, bg =>
        {
            int bi = bg / hkv, g = bg % hkv;
            var dp = new float[t];
            for (int h = g * rep; h < (g + 1) * rep; h++)
                for (int i = 0; i < t; i++)
                {
                    float* p = (float*)pp + (((long)bi * hq + h) * t + i) * t;
                    var doi = new ReadOnlySpan<float>((float*)dop + (((long)bi * t + i) * hq + h) * d, d);
                    float* qi = (float*)qp + (((long)bi * t + i) * hq + h) * d;
                    var dqi = new Span<float>((float*)dqp + (((long)bi * t + i) * hq + h) * d, d);
                    float dot = 0;
                    for (int s = 0; s <= i; s++)
                    {
                        if (p[s] == 0) { dp[s] = 0; continue; }
                        long kv = (((long)bi * t + s) * hkv + g) * d;
                        dp[s] = TensorPrimitives.Dot(doi, new ReadOnlySpan<float>((float*)vp + kv, d));
                        var dvs = new Span<float>((float*)dvp + kv, d);
                        TensorPrimitives.MultiplyAdd(doi, p[s], dvs, dvs);
                        dot += p[s] * dp[s];
                    }
                    for (int s = 0; s <= i; s++)
                    {
                        if (p[s] == 0) continue;
                        float ds = p[s] * (dp[s] - dot) * scale;
                        long kv = (((long)bi * t + s) * hkv + g) * d;
                        TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>((float*)kp + kv, d), ds, dqi, dqi);
                        var dks = new Span<float>((float*)dkp + kv, d);
                        TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(qi, d), ds, dks, dks);
                    }
                }
        });
    }

    private static void Check(ReadOnlySpan<int> mask, int b, int t, int hq, int hkv)
    {
        if (hkv <= 0 || hq % hkv != 0) throw new SpeechTokException($"{hq} query heads cannot be grouped over {hkv} key/value heads");
        if (!mask.IsEmpty && mask.Length != b * t) throw ShapeMismatchException.Of("attention mask vs [batch, seq]", [mask.Length], [b, t]);
    }
}
