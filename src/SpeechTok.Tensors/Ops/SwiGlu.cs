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
        Threading.ForRange(n, 4096, (s, e) =>
        {
            float* g = (float*)gp, u = (float*)upp, o = (float*)hp;
            for (int i = s; i < e; i++) o[i] = g[i] * Sigmoid(g[i]) * u[i];
        });
    }

    /// <summary>dGate += dh·up·silu'(gate), dUp += dh·silu(gate).</summary>
    public static void Backward(float* dGate, float* dUp, float* dh, float* gate, float* up, int n)
    {
        nint dgp = (nint)dGate, dup = (nint)dUp, dhp = (nint)dh, gp = (nint)gate, upp = (nint)up;
        Threading.ForRange(n, 4096, (s, e) =>
        {
            float* g = (float*)gp, u = (float*)upp, d = (float*)dhp, dg = (float*)dgp, du = (float*)dup;
            for (int i = s; i < e; i++)
            {
                float sg = Sigmoid(g[i]), silu = g[i] * sg;
                dg[i] += d[i] * u[i] * sg * (1 + g[i] * (1 - sg));
                du[i] += d[i] * silu;
            }
        });
    }
}
