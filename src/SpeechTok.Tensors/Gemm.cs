namespace SpeechTok.Tensors;

/// <summary>
/// C[m×n] = α·op(A)[m×k]·op(B)[k×n] + β·C, row-major; op(X) is X or Xᵀ; lda/ldb/ldc are the row strides
/// of A, B, C as stored (A is stored [m, k], or [k, m] when transposed; likewise B). β == 0 never reads C.
/// Packed, cache-blocked, AVX-512 (or AVX2) FMA kernels on <see cref="Threading.Threads"/> threads;
/// see docs/gemm.md.
/// </summary>
public static unsafe class Gemm
{
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        CheckStrides("Sgemm", transA, transB, m, n, k, lda, ldb, ldc);
        GemmDriver<F32Element>.Run(GemmPlan.Default, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, Threading.Threads);
    }

    /// <summary>As <see cref="Sgemm(bool, bool, int, int, int, float, float*, int, float*, int, float, float*, int)"/>
    /// with B stored as bfloat16 bits (weights stay BF16 in memory; upcast exactly while packing).</summary>
    public static void SgemmBf16B(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, ushort* b, int ldb, float beta, float* c, int ldc)
    {
        CheckStrides("SgemmBf16B", transA, transB, m, n, k, lda, ldb, ldc);
        GemmDriver<Bf16Element>.Run(GemmPlan.Default, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, Threading.Threads);
    }

    /// <summary>
    /// <paramref name="batch"/> independent products; product i uses a + i·strideA, b + i·strideB, c + i·strideC.
    /// Small products run in parallel over the batch (one thread each), large ones one after another with
    /// all threads each.
    /// </summary>
    public static void SgemmBatched(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, long strideA, float* b, int ldb, long strideB, float beta, float* c, int ldc, long strideC, int batch)
    {
        CheckStrides("SgemmBatched", transA, transB, m, n, k, lda, ldb, ldc);
        if (batch < 0) throw new ShapeMismatchException($"SgemmBatched: batch count {batch} is negative");
        int threads = Threading.Threads;
        var plan = GemmPlan.Default;
        if (BatchThreads(m, n, k, batch) > 1)
        {
            for (int i = 0; i < batch; i++)
                GemmDriver<F32Element>.Run(plan, transA, transB, m, n, k, alpha, a + i * strideA, lda, b + i * strideB, ldb, beta, c + i * strideC, ldc, threads);
            return;
        }
        int parts = Math.Min(threads, batch);
        WorkerPool.For(parts, threads, part =>
        {
            for (long i = (long)batch * part / parts, end = (long)batch * (part + 1) / parts; i < end; i++)
                GemmDriver<F32Element>.Run(plan, transA, transB, m, n, k, alpha, a + i * strideA, lda, b + i * strideB, ldb, beta, c + i * strideC, ldc, 1);
        });
    }

    /// <summary>
    /// Threads each product of a batch runs on: all of them for large products (~2 ms: they keep every thread
    /// busy on their own) or a batch of one; else 1, and the products of the batch run in parallel.
    /// </summary>
    internal static int BatchThreads(int m, int n, int k, int batch) =>
        (long)m * n * k >= 1L << 22 || batch < 2 ? Threading.Threads : 1;

    /// <summary>Checked overload: the spans must hold op(A), op(B), C with the given shapes and strides.</summary>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        CheckStrides("Sgemm", transA, transB, m, n, k, lda, ldb, ldc);
        CheckLengths("Sgemm", transA, transB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        fixed (float* pa = a, pb = b, pc = c)
            Sgemm(transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
    }

    /// <summary>Checked overload of <see cref="SgemmBf16B(bool, bool, int, int, int, float, float*, int, ushort*, int, float, float*, int)"/>.</summary>
    public static void SgemmBf16B(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<ushort> b, int ldb, float beta, Span<float> c, int ldc)
    {
        CheckStrides("SgemmBf16B", transA, transB, m, n, k, lda, ldb, ldc);
        CheckLengths("SgemmBf16B", transA, transB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        fixed (float* pa = a, pc = c)
        fixed (ushort* pb = b)
            SgemmBf16B(transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
    }

    /// <summary>Checked overload of the batched product; every span must hold all <paramref name="batch"/> operands.</summary>
    public static void SgemmBatched(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, long strideA, ReadOnlySpan<float> b, int ldb, long strideB,
        float beta, Span<float> c, int ldc, long strideC, int batch)
    {
        CheckStrides("SgemmBatched", transA, transB, m, n, k, lda, ldb, ldc);
        if (batch < 0 || strideA < 0 || strideB < 0 || strideC < 0)
            throw new ShapeMismatchException($"SgemmBatched: batch {batch} and strides ({strideA}, {strideB}, {strideC}) must be non-negative");
        if (batch > 0)
        {
            long last = batch - 1;
            CheckLengths("SgemmBatched", transA, transB, m, n, k, a.Length - last * strideA, lda,
                b.Length - last * strideB, ldb, c.Length - last * strideC, ldc);
            if (strideC < Extent(m, n, ldc) && batch > 1 && (long)m * n > 0)
                throw new ShapeMismatchException($"SgemmBatched: C is [{m}, {n}] (ldc {ldc}) per product but strideC {strideC} makes products overlap");
        }
        fixed (float* pa = a, pb = b, pc = c)
            SgemmBatched(transA, transB, m, n, k, alpha, pa, lda, strideA, pb, ldb, strideB, beta, pc, ldc, strideC, batch);
    }

    /// <summary>
    /// op(a)·op(b) for a of shape [..., m, k] (leading dimensions flattened into rows) and a matrix b of
    /// shape [k, n] (F32 or BF16; [n, k] when <paramref name="transB"/>, e.g. a Linear weight [out, in]).
    /// </summary>
    public static Tensor MatMul(Tensor a, Tensor b, bool transB = false)
    {
        if (a.Rank < 2 || b.Rank != 2) throw ShapeMismatchException.Of("MatMul needs A of rank ≥ 2 and a matrix B", a.Shape, b.Shape);
        if (a.DType != DType.F32) throw new SpeechTokException($"MatMul: A must be F32, not {a.DType}");
        if (b.DType == DType.F16) throw new SpeechTokException("MatMul: F16 B is not supported; upcast it first");
        int k = a.Dim(-1), m = checked((int)(a.Length / Math.Max(1, k)));
        int kb = transB ? b.Dim(1) : b.Dim(0), n = transB ? b.Dim(0) : b.Dim(1);
        if (kb != k)
            throw new ShapeMismatchException($"MatMul: A is {ShapeMismatchException.Format(a.Shape)} but B is {ShapeMismatchException.Format(b.Shape)}{(transB ? " (transposed)" : "")}: inner dimensions {k} and {kb} differ");
        var shape = (int[])a.Shape.Clone();
        shape[^1] = n;
        var c = Tensor.Zeros(shape);
        fixed (float* pc = c.Span)
        {
            if (b.DType == DType.BF16)
                SgemmBf16B(false, transB, m, n, k, 1f, (float*)a.Pointer, k, (ushort*)b.Pointer, b.Dim(1), 0f, pc, n);
            else
                Sgemm(false, transB, m, n, k, 1f, (float*)a.Pointer, k, (float*)b.Pointer, b.Dim(1), 0f, pc, n);
        }
        return c;
    }

    private static string Stored(bool trans, int rows, int cols) => trans ? $"[{cols}, {rows}] (transposed)" : $"[{rows}, {cols}]";

    private static void CheckStrides(string op, bool transA, bool transB, int m, int n, int k, int lda, int ldb, int ldc)
    {
        if (m < 0 || n < 0 || k < 0) throw new ShapeMismatchException($"{op}: negative size m={m}, n={n}, k={k}");
        Check(op, "A", transA, m, k, lda);
        Check(op, "B", transB, k, n, ldb);
        Check(op, "C", false, m, n, ldc);

        static void Check(string op, string name, bool trans, int rows, int cols, int ld)
        {
            int width = trans ? rows : cols;
            if (ld < Math.Max(1, width))
                throw new ShapeMismatchException($"{op}: {name} is {Stored(trans, rows, cols)} but its row stride ld{name.ToLowerInvariant()} = {ld} is less than its width {width}");
        }
    }

    private static long Extent(int rows, int cols, int ld) => rows == 0 || cols == 0 ? 0 : (long)(rows - 1) * ld + cols;

    private static void CheckLengths(string op, bool transA, bool transB, int m, int n, int k,
        long aLen, int lda, long bLen, int ldb, long cLen, int ldc)
    {
        string shapes = $"A is {Stored(transA, m, k)}, B is {Stored(transB, k, n)}, C is [{m}, {n}]";
        Need("A", transA ? Extent(k, m, lda) : Extent(m, k, lda), aLen, lda);
        Need("B", transB ? Extent(n, k, ldb) : Extent(k, n, ldb), bLen, ldb);
        Need("C", Extent(m, n, ldc), cLen, ldc);

        void Need(string name, long need, long have, int ld)
        {
            if (have < need)
                throw new ShapeMismatchException($"{op}: {shapes}; {name} with row stride {ld} needs {need} elements but its buffer holds {Math.Max(0, have)}");
        }
    }
}
