using System.Buffers;

namespace SpeechTok.Tensors.Ops;

/// <summary>
/// y[n, out] = x[n, in]·Wᵀ (+ bias), W stored [out, in] as in nn.Linear. W may be F32, BF16 (upcast while
/// the GEMM packs it) or F16 (upcast a block of rows at a time), so 16-bit weights stay 16-bit in memory.
/// </summary>
public static unsafe class Linear
{
    // Rows of a 16-bit W upcast per GEMM call: bounds the scratch to ~4 MiB whatever the matrix size.
    private const int UpcastFloats = 1 << 20;

    /// <param name="ldy">row stride of y (≥ out); lets a caller write into a column slice of a wider buffer.</param>
    public static void Forward(float* y, float* x, Tensor w, float* bias, int n, int inF, int outF, int ldy = 0)
    {
        CheckWeight(w, inF, outF);
        if (ldy == 0) ldy = outF;
        if (w.DType == DType.F32)
            Gemm.Sgemm(false, true, n, outF, inF, 1f, x, inF, (float*)w.Pointer, inF, 0f, y, ldy);
        else if (w.DType == DType.BF16)
            Gemm.SgemmBf16B(false, true, n, outF, inF, 1f, x, inF, (ushort*)w.Pointer, inF, 0f, y, ldy);
        else
            ForEachUpcastBlock(w, inF, outF, (o0, rows, wb) =>
                Gemm.Sgemm(false, true, n, rows, inF, 1f, x, inF, wb, inF, 0f, y + o0, ldy));
        if (bias != null)
            for (int i = 0; i < n; i++) Elementwise.AddInPlace(y + (long)i * ldy, bias, outF);
    }

    /// <summary>Forward for an owned F32 weight (e.g. a LoRA factor) given as a pointer.</summary>
    public static void Forward(float* y, float* x, float* w, int n, int inF, int outF) =>
        Gemm.Sgemm(false, true, n, outF, inF, 1f, x, inF, w, inF, 0f, y, outF);

    /// <summary>
    /// Accumulates dx += dy·W always; dW += dyᵀ·x and dBias += Σ dy only when those pointers are non-null,
    /// so frozen weights never get a weight gradient.
    /// </summary>
    public static void Backward(float* dx, float* dW, float* dBias, float* dy, float* x, Tensor w, int n, int inF, int outF, int ldy = 0)
    {
        CheckWeight(w, inF, outF);
        if (ldy == 0) ldy = outF;
        if (dx != null)
        {
            if (w.DType == DType.F32)
                Gemm.Sgemm(false, false, n, inF, outF, 1f, dy, ldy, (float*)w.Pointer, inF, 1f, dx, inF);
            else if (w.DType == DType.BF16)
                Gemm.SgemmBf16B(false, false, n, inF, outF, 1f, dy, ldy, (ushort*)w.Pointer, inF, 1f, dx, inF);
            else
                ForEachUpcastBlock(w, inF, outF, (o0, rows, wb) =>
                    Gemm.Sgemm(false, false, n, inF, rows, 1f, dy + o0, ldy, wb, inF, 1f, dx, inF));
        }
        WeightGrads(dW, dBias, dy, x, n, inF, outF, ldy);
    }

    /// <summary>Backward for an owned F32 weight given as a pointer (see the Tensor overload).</summary>
    public static void Backward(float* dx, float* dW, float* dy, float* x, float* w, int n, int inF, int outF)
    {
        if (dx != null) Gemm.Sgemm(false, false, n, inF, outF, 1f, dy, outF, w, inF, 1f, dx, inF);
        WeightGrads(dW, null, dy, x, n, inF, outF, outF);
    }

    private static void WeightGrads(float* dW, float* dBias, float* dy, float* x, int n, int inF, int outF, int ldy)
    {
        if (dW != null) Gemm.Sgemm(true, false, outF, inF, n, 1f, dy, ldy, x, inF, 1f, dW, inF);
        if (dBias != null)
            for (int i = 0; i < n; i++) Elementwise.AddInPlace(dBias, dy + (long)i * ldy, outF);
    }

    private static void CheckWeight(Tensor w, int inF, int outF)
    {
        if (w.Rank != 2 || w.Shape[0] != outF || w.Shape[1] != inF)
            throw ShapeMismatchException.Of("linear weight [out, in] vs expected", w.Shape, [outF, inF]);
    }

    private delegate void Block(int firstRow, int rows, float* upcast);

    private static void ForEachUpcastBlock(Tensor w, int inF, int outF, Block body)
    {
        int block = Math.Max(1, Math.Min(outF, UpcastFloats / Math.Max(1, inF)));
        float[] buf = ArrayPool<float>.Shared.Rent(block * inF);
        try
        {
            fixed (float* wb = buf)
                for (int o0 = 0; o0 < outF; o0 += block)
                {
                    int rows = Math.Min(block, outF - o0);
                    w.CopyTo((long)o0 * inF, new Span<float>(wb, rows * inF));
                    body(o0, rows, wb);
                }
        }
        finally { ArrayPool<float>.Shared.Return(buf); }
    }
}
