using System.Runtime.Intrinsics;

namespace SpeechTok.Tensors.Ops;

/// <summary>
/// Rotary position embedding in the rotate_half convention (HF Llama): for i &lt; d/2,
/// y[i] = x[i]·cos − x[i+d/2]·sin and y[i+d/2] = x[i+d/2]·cos + x[i]·sin, angle = t·inv_freq[i].
/// </summary>
public static unsafe class Rope
{
    /// <summary>
    /// inv_freq[i] = θ^(−2i/d), with transformers' scaling when asked: linear (÷ factor), llama3 (per frequency) or
    /// dynamic NTK. Dynamic rescales the base only for sequences longer than max_position_embeddings
    /// (θ·(factor·seq_len/max − (factor − 1))^(d/(d−2)), which is θ at seq_len = max); up to it, HF keeps the
    /// default inv_freq, and so does this. Longer sequences are never run here (<c>LlamaConfig.CheckSequenceLength</c>;
    /// the model refuses them when the scaling is dynamic).
    /// </summary>
    public static float[] InverseFrequencies(int headDim, double theta, RopeScaling? scaling)
    {
        int half = headDim / 2;
        var inv = new float[half];
        for (int i = 0; i < half; i++)
        {
            // HF computes the exponent and power in float32.
            float f = 1f / MathF.Pow((float)theta, (2 * i) / (float)headDim);
            inv[i] = scaling == null ? f : Scale(f, scaling);
        }
        return inv;
    }

    private static float Scale(float f, RopeScaling s)
    {
        switch (s.Type)
        {
            case "default" or "dynamic": return f; // dynamic: the default up to max_position_embeddings (see InverseFrequencies)
            case "linear": return f / (float)s.Factor; // HF: inv_freq /= factor, in float32 (torch casts the Python float to the tensor's dtype)
            case "llama3":
                double lowWavelen = s.OriginalMaxPositionEmbeddings / s.LowFreqFactor;
                double highWavelen = s.OriginalMaxPositionEmbeddings / s.HighFreqFactor;
                double wavelen = 2 * Math.PI / f;
                if (wavelen < highWavelen) return f;                  // high frequency: kept
                if (wavelen > lowWavelen) return (float)(f / s.Factor); // low frequency: divided by factor
                double smooth = (s.OriginalMaxPositionEmbeddings / wavelen - s.LowFreqFactor) / (s.HighFreqFactor - s.LowFreqFactor);
                return (float)((1 - smooth) * f / s.Factor + smooth * f);
            default:
                throw new SpeechTokException($"rope_scaling.rope_type '{s.Type}' is not supported (only 'default', 'linear', 'dynamic' and 'llama3')");
        }
    }

    /// <summary>cos/sin tables [positions, d/2] (the second half of HF's cat(freqs, freqs) is identical).</summary>
    public static (float[] Cos, float[] Sin) Tables(float[] invFreq, int positions)
    {
        int half = invFreq.Length;
        var cos = new float[positions * half];
        var sin = new float[positions * half];
        for (int t = 0; t < positions; t++)
            for (int i = 0; i < half; i++)
            {
                float a = t * invFreq[i]; // float32 product, as HF's inv_freq @ position_ids
                cos[t * half + i] = MathF.Cos(a);
                sin[t * half + i] = MathF.Sin(a);
            }
        return (cos, sin);
    }

    /// <summary>
    /// In place on x [b, t, heads, d]; row (bi, ti) uses position ti (right padding: positions 0..T−1).
    /// </summary>
    public static void Forward(float* x, int b, int t, int heads, int d, float[] cos, float[] sin) => Rotate(x, UniformPositions(b, t), heads, d, cos, sin, 1f);

    /// <summary>In place: the transpose (inverse) rotation maps dy to dx.</summary>
    public static void Backward(float* dx, int b, int t, int heads, int d, float[] cos, float[] sin) => Rotate(dx, UniformPositions(b, t), heads, d, cos, sin, -1f);

    /// <summary>In place on x [n, heads, d]; row r uses position positionIds[r] (HF's position_ids, e.g. restarting at 0 in each packed sequence).</summary>
    public static void Forward(float* x, int[] positionIds, int heads, int d, float[] cos, float[] sin) => Rotate(x, positionIds, heads, d, cos, sin, 1f);

    /// <summary>The backward of the position-id form: the transpose (inverse) rotation, in place.</summary>
    public static void Backward(float* dx, int[] positionIds, int heads, int d, float[] cos, float[] sin) => Rotate(dx, positionIds, heads, d, cos, sin, -1f);

    private static int[] UniformPositions(int b, int t)
    {
        var pos = new int[b * t];
        for (int r = 0; r < pos.Length; r++) pos[r] = r % t;
        return pos;
    }

    private static void Rotate(float* x, int[] positionIds, int heads, int d, float[] cos, float[] sin, float sign)
    {
        int half = d / 2, positions = cos.Length / Math.Max(1, half);
        if (d % 2 != 0) throw new SpeechTokException($"RoPE needs an even head_dim, got {d}");
        foreach (int p in positionIds)
            if ((uint)p >= (uint)positions) throw new SpeechTokException($"RoPE tables cover {positions} positions of head_dim {d}; position {p} needed");
        nint xp = (nint)x;
        Threading.ForRange(positionIds.Length, 16, (s, e) =>
        {
            for (int r = s; r < e; r++)
            {
                int pos = positionIds[r];
                for (int h = 0; h < heads; h++)
                {
                    float* v = (float*)xp + ((long)r * heads + h) * d;
                    int i = 0;
                    // The vector lanes compute the scalar expressions below (no fused multiply-add): the same bits.
                    if (Vector256.IsHardwareAccelerated)
                        fixed (float* cp = &cos[pos * half], sp = &sin[pos * half])
                            for (; i <= half - 8; i += 8)
                            {
                                var c = Vector256.Load(cp + i);
                                var sn = sign * Vector256.Load(sp + i);
                                var x1 = Vector256.Load(v + i);
                                var x2 = Vector256.Load(v + i + half);
                                (x1 * c - x2 * sn).Store(v + i);
                                (x2 * c + x1 * sn).Store(v + i + half);
                            }
                    for (; i < half; i++)
                    {
                        float c = cos[pos * half + i], sn = sign * sin[pos * half + i];
                        float x1 = v[i], x2 = v[i + half];
                        v[i] = x1 * c - x2 * sn;
                        v[i + half] = x2 * c + x1 * sn;
                    }
                }
            }
        });
    }
}
