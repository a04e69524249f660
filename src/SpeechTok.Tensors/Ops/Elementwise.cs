using System.Numerics.Tensors;

namespace SpeechTok.Tensors.Ops;

/// <summary>Elementwise basics over flat buffers of length n. Backward functions accumulate (+=) like every op here.</summary>
public static unsafe class Elementwise
{
    public static void Add(float* a, float* b, float* y, int n) =>
        TensorPrimitives.Add(new ReadOnlySpan<float>(a, n), new ReadOnlySpan<float>(b, n), new Span<float>(y, n));

    /// <summary>y += x.</summary>
    public static void AddInPlace(float* y, float* x, int n) =>
        TensorPrimitives.Add(new ReadOnlySpan<float>(y, n), new ReadOnlySpan<float>(x, n), new Span<float>(y, n));

    public static void Mul(float* a, float* b, float* y, int n) =>
        TensorPrimitives.Multiply(new ReadOnlySpan<float>(a, n), new ReadOnlySpan<float>(b, n), new Span<float>(y, n));

    /// <summary>da += dy·b, db += dy·a (either may be null when not needed).</summary>
    public static void MulBackward(float* dy, float* a, float* b, float* da, float* db, int n)
    {
        if (da != null) TensorPrimitives.FusedMultiplyAdd(new ReadOnlySpan<float>(dy, n), new ReadOnlySpan<float>(b, n), new ReadOnlySpan<float>(da, n), new Span<float>(da, n));
        if (db != null) TensorPrimitives.FusedMultiplyAdd(new ReadOnlySpan<float>(dy, n), new ReadOnlySpan<float>(a, n), new ReadOnlySpan<float>(db, n), new Span<float>(db, n));
    }

    public static void Scale(float* x, float s, float* y, int n) =>
        TensorPrimitives.Multiply(new ReadOnlySpan<float>(x, n), s, new Span<float>(y, n));

    /// <summary>dx += s·dy (the backward of both Scale and, with s = 1, Add).</summary>
    public static void ScaleBackward(float* dy, float s, float* dx, int n) =>
        TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(dy, n), s, new ReadOnlySpan<float>(dx, n), new Span<float>(dx, n));
}
