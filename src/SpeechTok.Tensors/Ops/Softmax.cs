using System.Numerics.Tensors;

namespace SpeechTok.Tensors.Ops;

/// <summary>Row-wise softmax and log-softmax over [n, c] (max-subtracted, float32).</summary>
public static unsafe class Softmax
{
    public static void Forward(float* y, float* x, int n, int c)
    {
        for (int i = 0; i < n; i++)
            TensorPrimitives.SoftMax(new ReadOnlySpan<float>(x + (long)i * c, c), new Span<float>(y + (long)i * c, c));
    }

    /// <summary>dx += y ⊙ (dy − Σ dy·y), y the saved output.</summary>
    public static void Backward(float* dx, float* dy, float* y, int n, int c)
    {
        for (int i = 0; i < n; i++)
        {
            float* yr = y + (long)i * c, dyr = dy + (long)i * c, dxr = dx + (long)i * c;
            float dot = TensorPrimitives.Dot(new ReadOnlySpan<float>(dyr, c), new ReadOnlySpan<float>(yr, c));
            for (int j = 0; j < c; j++) dxr[j] += yr[j] * (dyr[j] - dot);
        }
    }

    /// <summary>log Σ exp(row), stable; vectorised through a small stack chunk.</summary>
    internal static float LogSumExp(ReadOnlySpan<float> row)
    {
        float max = TensorPrimitives.Max(row);
        Span<float> tmp = stackalloc float[1024];
        double s = 0;
        for (int i = 0; i < row.Length; i += tmp.Length)
        {
            var part = row.Slice(i, Math.Min(tmp.Length, row.Length - i));
            var t = tmp[..part.Length];
            TensorPrimitives.Subtract(part, max, t);
            TensorPrimitives.Exp(t, t);
            s += TensorPrimitives.Sum(t);
        }
        return max + (float)Math.Log(s);
    }

    public static void LogForward(float* y, float* x, int n, int c)
    {
        for (int i = 0; i < n; i++)
        {
            var xr = new ReadOnlySpan<float>(x + (long)i * c, c);
            TensorPrimitives.Subtract(xr, LogSumExp(xr), new Span<float>(y + (long)i * c, c));
        }
    }

    /// <summary>dx += dy − exp(y)·Σ dy, y the saved log-softmax output.</summary>
    public static void LogBackward(float* dx, float* dy, float* y, int n, int c)
    {
        for (int i = 0; i < n; i++)
        {
            float* yr = y + (long)i * c, dyr = dy + (long)i * c, dxr = dx + (long)i * c;
            float sum = TensorPrimitives.Sum(new ReadOnlySpan<float>(dyr, c));
            for (int j = 0; j < c; j++) dxr[j] += dyr[j] - MathF.Exp(yr[j]) * sum;
        }
    }
}
