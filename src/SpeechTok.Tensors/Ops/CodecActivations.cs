using System.Runtime.Intrinsics;

namespace SpeechTok.Tensors.Ops;

/// <summary>In-place activations of audio codecs (SEANet): ELU and per-channel Snake over [channels, length] rows.</summary>
public static unsafe class CodecActivations
{
    /// <summary>x = x &gt; 0 ? x : α·(eˣ − 1).</summary>
    public static void Elu(float* x, long n, float alpha)
    {
        long i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var a = Vector512.Create(alpha);
            var one = Vector512<float>.One;
            for (; i + 16 <= n; i += 16)
            {
                var v = Vector512.Load(x + i);
                var neg = a * (Vector512.Exp(Vector512.Min(v, Vector512<float>.Zero)) - one);
                Vector512.ConditionalSelect(Vector512.GreaterThan(v, Vector512<float>.Zero), v, neg).Store(x + i);
            }
        }
        for (; i < n; i++) if (x[i] <= 0f) x[i] = alpha * (MathF.Exp(x[i]) - 1f);
    }

    /// <summary>Snake: x = x + sin²(α_c·x) / (α_c + 1e-9) with one α per channel c; x is [channels, len].</summary>
    public static void Snake(float* x, int channels, int len, float* alpha)
    {
        for (int c = 0; c < channels; c++)
        {
            float* row = x + (long)c * len;
            float a = alpha[c], inv = 1f / (a + 1e-9f);
            int i = 0;
            if (Vector512.IsHardwareAccelerated)
            {
                var va = Vector512.Create(a);
                var vi = Vector512.Create(inv);
                for (; i + 16 <= len; i += 16)
                {
                    var v = Vector512.Load(row + i);
                    var s = Vector512.Sin(va * v);
                    (v + vi * (s * s)).Store(row + i);
                }
            }
            for (; i < len; i++)
            {
                float s = MathF.Sin(a * row[i]);
                row[i] += inv * (s * s);
            }
        }
    }
}
