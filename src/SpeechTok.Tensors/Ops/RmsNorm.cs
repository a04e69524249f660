using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace SpeechTok.Tensors.Ops;

/// <summary>Llama RMSNorm over rows of length c: y = w ⊙ (x · rstd), rstd = 1/√(mean(x²) + eps).</summary>
public static unsafe class RmsNorm
{
    /// <summary>x, y are [n, c]; rstd [n] is saved for the backward pass.</summary>
    public static void Forward(float* y, float* rstd, float* x, Tensor weight, int n, int c, float eps)
    {
        if (weight.Length != c) throw ShapeMismatchException.Of("RMSNorm weight vs row size", weight.Shape, [c]);
        float[] w = weight.ToArray();
        nint yp = (nint)y, rp = (nint)rstd, xp = (nint)x;
        Threading.ForRange(n, 64, (s, e) =>
        {
            for (int i = s; i < e; i++)
            {
                var xr = new ReadOnlySpan<float>((float*)xp + (long)i * c, c);
                var yr = new Span<float>((float*)yp + (long)i * c, c);
                float ss = 0;
                foreach (var v in xr) ss += v * v;
                float r = 1f / MathF.Sqrt(ss / c + eps);
                ((float*)rp)[i] = r;
                TensorPrimitives.Multiply(xr, r, yr);
                TensorPrimitives.Multiply(yr, w, yr);
            }
        });
    }

    /// <summary>
    /// dx += ∂L/∂x given dy. dWeight (length c) is accumulated only when non-null: frozen norm weights
    /// get no weight gradient.
    /// </summary>
    public static void Backward(float* dx, float* dWeight, float* dy, float* x, float* rstd, Tensor weight, int n, int c)
    {
        float[] w = weight.ToArray();
        nint dxp = (nint)dx, dyp = (nint)dy, xp = (nint)x, rp = (nint)rstd;
        Threading.ForRange(n, 64, (s, e) =>
        {
            for (int i = s; i < e; i++)
            {
                float* xr = (float*)xp + (long)i * c, dyr = (float*)dyp + (long)i * c, dxr = (float*)dxp + (long)i * c;
                float r = ((float*)rp)[i];
                // g = w⊙dy; dx = r·g − x·r³·(g·x)/c
                float gx = 0;
                for (int j = 0; j < c; j++) gx += w[j] * dyr[j] * xr[j];
                float k = r * r * r * gx / c;
                int jv = 0;
                // Lane by lane the same expression as the scalar tail (no fused multiply-add), so the same bits;
                // the sum gx above stays sequential, as its order sets its rounding.
                fixed (float* wp = w)
                    for (; Vector512.IsHardwareAccelerated && jv <= c - 16; jv += 16)
                        (Vector512.Load(dxr + jv) + (r * Vector512.Load(wp + jv) * Vector512.Load(dyr + jv) - k * Vector512.Load(xr + jv))).Store(dxr + jv);
                for (; jv < c; jv++) dxr[jv] += r * w[jv] * dyr[jv] - k * xr[jv];
            }
        });
        if (dWeight == null) return;
        // dWeight[j] += Σ_i dy[i,j]·x[i,j]·rstd[i], row by row in a fixed order (deterministic on any thread count).
        var tmp = new float[c];
        var dw = new Span<float>(dWeight, c);
        for (int i = 0; i < n; i++)
        {
            TensorPrimitives.Multiply(new ReadOnlySpan<float>(dy + (long)i * c, c), new ReadOnlySpan<float>(x + (long)i * c, c), tmp);
            TensorPrimitives.MultiplyAdd(tmp, rstd[i], dw, dw);
        }
    }
}
