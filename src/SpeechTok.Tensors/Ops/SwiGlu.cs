using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace SpeechTok.Tensors.Ops;

/// <summary>SiLU x·σ(x) and the Llama MLP gate SwiGLU: h = silu(gate) ⊙ up.</summary>
public static unsafe class SwiGlu
{
    private static float Sigmoid(float x) => 1f / (1f + MathF.Exp(-x));

    public static void SiluForward(float* y, float* x, int n)
    {
        for (int i = 0; i < n; i++) y[i] = x[i] * Sigmoid(x[i]);
    }

    /// <summary>dx += dy·σ(x)(1 + x(1 − σ(x))).</summary>
    public static void SiluBackward(float* dx, float* dy, float* x, int n)
    {
        for (int i = 0; i < n; i++)
        {
            float s = Sigmoid(x[i]);
            dx[i] += dy[i] * s * (1 + x[i] * (1 - s));
        }
    }

    public static void Forward(float* h, float* gate, float* up, int n)
    {
        nint hp = (nint)h, gp = (nint)gate, upp = (nint)up;
        Threading.ForRange(Chunks(n), 8, (c0, c1) =>
        {
            Span<float> sg = stackalloc float[Chunk];
            for (int i = c0 * Chunk; i < Math.Min(n, c1 * Chunk); i += Chunk)
            {
                int len = Math.Min(Chunk, n - i);
                var g = new ReadOnlySpan<float>((float*)gp + i, len);
                var o = new Span<float>((float*)hp + i, len);
                TensorPrimitives.Sigmoid(g, sg[..len]);
                TensorPrimitives.Multiply(g, sg[..len], o);
                TensorPrimitives.Multiply(o, new ReadOnlySpan<float>((float*)upp + i, len), o);
            }
        });
    }

    /// <summary>
    /// dGate (+)= dh·up·silu'(gate), dUp (+)= dh·silu(gate): accumulates, or with <paramref name="accumulate"/>
    /// false overwrites with 0 + the term (what += on a cleared buffer gives, −0 included) without the clear.
    /// </summary>
    public static void Backward(float* dGate, float* dUp, float* dh, float* gate, float* up, int n, bool accumulate = true)
    {
        nint dgp = (nint)dGate, dup = (nint)dUp, dhp = (nint)dh, gp = (nint)gate, upp = (nint)up;
        Threading.ForRange(Chunks(n), 8, (c0, c1) =>
        {
            Span<float> sg = stackalloc float[Chunk];
            for (int i0 = c0 * Chunk; i0 < Math.Min(n, c1 * Chunk); i0 += Chunk)
            {
                int len = Math.Min(Chunk, n - i0);
                TensorPrimitives.Sigmoid(new ReadOnlySpan<float>((float*)gp + i0, len), sg[..len]);
                float* g = (float*)gp + i0, u = (float*)upp + i0, d = (float*)dhp + i0, dg = (float*)dgp + i0, du = (float*)dup + i0;
                int i = 0;
                // The vector lanes evaluate the scalar expressions below in the same order (no fused multiply-add).
                fixed (float* sp = sg)
                {
                    var one = Vector512<float>.One;
                    for (; Vector512.IsHardwareAccelerated && i <= len - 16; i += 16)
                    {
                        var sgi = Vector512.Load(sp + i);
                        var gi = Vector512.Load(g + i);
                        var di = Vector512.Load(d + i);
                        var dg0 = accumulate ? Vector512.Load(dg + i) : Vector512<float>.Zero;
                        var du0 = accumulate ? Vector512.Load(du + i) : Vector512<float>.Zero;
                        (dg0 + di * Vector512.Load(u + i) * sgi * (one + gi * (one - sgi))).Store(dg + i);
                        (du0 + di * gi * sgi).Store(du + i);
                    }
                }
                for (; i < len; i++)
                {
                    float sgi = sg[i];
                    dg[i] = (accumulate ? dg[i] : 0f) + d[i] * u[i] * sgi * (1 + g[i] * (1 - sgi));
                    du[i] = (accumulate ? du[i] : 0f) + d[i] * g[i] * sgi;
                }
            }
        });
    }

    /// <summary>Threads take whole chunks, so which elements go down the scalar tail does not depend on the thread count.</summary>
    private const int Chunk = 1024;

    private static int Chunks(int n) => (n + Chunk - 1) / Chunk;
}
