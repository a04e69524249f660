using System.Numerics.Tensors;

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
        Threading.ForRange(n, 8192, (s, e) =>
        {
            Span<float> sg = stackalloc float[Chunk];
            for (int i = s; i < e; i += Chunk)
            {
                int len = Math.Min(Chunk, e - i);
                var g = new ReadOnlySpan<float>((float*)gp + i, len);
                var o = new Span<float>((float*)hp + i, len);
                TensorPrimitives.Sigmoid(g, sg[..len]);
                TensorPrimitives.Multiply(g, sg[..len], o);
                TensorPrimitives.Multiply(o, new ReadOnlySpan<float>((float*)upp + i, len), o);
            }
        });
    }

    /// <summary>dGate += dh·up·silu'(gate), dUp += dh·silu(gate).</summary>
    public static void Backward(float* dGate, float* dUp, float* dh, float* gate, float* up, int n)
    {
        nint dgp = (nint)dGate, dup = (nint)dUp, dhp = (nint)dh, gp = (nint)gate, upp = (nint)up;
        Threading.ForRange(n, 8192, (s, e) =>
        {
            Span<float> sg = stackalloc float[Chunk];
            for (int i0 = s; i0 < e; i0 += Chunk)
            {
                int len = Math.Min(Chunk, e - i0);
                TensorPrimitives.Sigmoid(new ReadOnlySpan<float>((float*)gp + i0, len), sg[..len]);
                float* g = (float*)gp + i0, u = (float*)upp + i0, d = (float*)dhp + i0, dg = (float*)dgp + i0, du = (float*)dup + i0;
                for (int i = 0; i < len; i++)
                {
                    float sgi = sg[i];
                    dg[i] += d[i] * u[i] * sgi * (1 + g[i] * (1 - sgi));
                    du[i] += d[i] * g[i] * sgi;
                }
            }
        });
    }

    private const int Chunk = 1024;
}
