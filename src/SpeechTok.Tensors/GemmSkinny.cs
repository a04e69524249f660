using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace SpeechTok.Tensors;

/// <summary>
/// GEMV-like products (min(m, n) tiny, e.g. one token times a weight matrix): packing would cost as much
/// as the product, so the large operand is streamed once, straight from memory. The problem is written as
/// C'[i, j] = α·Σ_p A'(i, p)·B'(p, j) + β·C'[i, j] with few rows i and general strides; a tiny n is handled
/// as the transposed product Cᵀ = op(B)ᵀ·op(A)ᵀ. Written once over the SIMD width <typeparamref name="TL"/>
/// (<see cref="Lanes512"/> for the AVX-512 plan, <see cref="Lanes256"/> for the AVX2 one).
/// </summary>
internal static unsafe class GemmSkinny<TL, TV> where TL : struct, ISimdLanes<TV> where TV : struct
{
    private const int Cols = 512;  // columns per accumulator block of the axpy form (2 KiB per row of A')

    /// <summary>Largest number of rows of A' (the plan's skinny threshold must not exceed it).</summary>
    public const int MaxRows = GemmPlan.SkinnyRowsLimit;

    public static void Run<TB>(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, nint lda, void* b, nint ldb, float beta, float* c, nint ldc, int threads) where TB : struct, IGemmElement
    {
        if (m <= n)
        {
            // A' = op(A), B' = op(B) (the large operand, of type TB), C' = C.
            Strided<TB>(m, n, k, alpha, a, transA ? 1 : lda, transA ? lda : 1,
                b, transB ? 1 : ldb, transB ? ldb : 1, beta, c, ldc, 1, threads);
            return;
        }
        // Cᵀ = op(B)ᵀ·op(A)ᵀ: A' = op(B)ᵀ (n×k, small), B' = op(A)ᵀ (float, the large operand).
        nint rsA = transB ? ldb : 1, csA = transB ? 1 : ldb;
        float* small = null;
        if (typeof(TB) != typeof(F32Element))
        {
            small = (float*)NativeMemory.Alloc((nuint)n * (nuint)k, sizeof(float));
            for (int i = 0; i < n; i++)
                for (int p = 0; p < k; p++) small[(nint)i * k + p] = TB.Get(b, i * rsA + p * csA);
            rsA = k; csA = 1;
        }
        try
        {
            Strided<F32Element>(n, m, k, alpha, small != null ? small : (float*)b, rsA, csA,
                a, transA ? lda : 1, transA ? 1 : lda, beta, c, 1, ldc, threads);
        }
        finally { NativeMemory.Free(small); }
    }

    private static void Strided<T>(int mm, int nn, int k, float alpha, float* a, nint rsA, nint csA,
        void* b, nint rsB, nint csB, float beta, float* c, nint rsC, nint csC, int threads) where T : struct, IGemmElement
    {
        bool axpy = csB == 1; // else rsB == 1: columns of B' are contiguous, use dot products
        float* rows = null;
        if (!axpy && csA != 1)
        {
            // Dot form wants contiguous rows of A' too; A' is the small operand, so copying is cheap.
            rows = (float*)NativeMemory.Alloc((nuint)mm * (nuint)k, sizeof(float));
            for (int i = 0; i < mm; i++)
                for (int p = 0; p < k; p++) rows[(nint)i * k + p] = a[i * rsA + p * csA];
            a = rows; rsA = k; csA = 1;
        }
        try
        {
            int block = axpy ? Cols : 4;
            int blocks = (nn + block - 1) / block;
            // Split columns across threads only when there is enough work to pay for the hand-off.
            int parts = (long)mm * nn * k < 1 << 17 ? 1 : Math.Min(threads, blocks);
            WorkerPool.For(parts, threads, part =>
            {
                int j0 = (int)((long)blocks * part / parts) * block, j1 = Math.Min(nn, (int)((long)blocks * (part + 1) / parts) * block);
                if (axpy) Axpy<T>(mm, j0, j1, k, alpha, a, rsA, csA, b, rsB, beta, c, rsC, csC);
                else Dots<T>(mm, j0, j1, k, alpha, a, rsA, b, csB, beta, c, rsC, csC);
            });
        }
        finally { NativeMemory.Free(rows); }
    }

    private static void Put(float* c, float v, float alpha, float beta) =>
        *c = alpha * v + (beta == 0 ? 0f : beta * *c);

    /// <summary>
    /// B' rows contiguous (e.g. x·W with W stored [in, out]): rows of B' are streamed in order, four at a
    /// time, into per-row accumulators of <see cref="Cols"/> columns (L1-resident), so B' is read once and
    /// sequentially whatever the number of rows of A'.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot loops: no slow tier-0 phase
    private static void Axpy<T>(int mm, int j0, int j1, int k, float alpha, float* a, nint rsA, nint csA,
        void* b, nint rsB, float beta, float* c, nint rsC, nint csC) where T : struct, IGemmElement
    {
        float* acc = stackalloc float[MaxRows * Cols];
        int lanes = TL.Count;
        for (int jb = j0; jb < j1; jb += Cols)
        {
            int w = Math.Min(Cols, j1 - jb), wL = w & ~(lanes - 1);
            new Span<float>(acc, mm * Cols).Clear();
            int p = 0;
            for (; p + 4 <= k; p += 4)
            {
                nint r0 = p * rsB + jb, r1 = r0 + rsB, r2 = r1 + rsB, r3 = r2 + rsB;
                int j = 0;
                // Two vectors of columns per pass: the four broadcasts and the row's addresses serve eight FMAs, not
                // four (at 8 lanes the index arithmetic was as long as the FMAs). Each sum keeps its order: same bits.
                for (; j + 2 * lanes <= wL; j += 2 * lanes)
                {
                    var b0 = TL.LoadB<T>(b, r0 + j); var b1 = TL.LoadB<T>(b, r1 + j);
                    var b2 = TL.LoadB<T>(b, r2 + j); var b3 = TL.LoadB<T>(b, r3 + j);
                    var e0 = TL.LoadB<T>(b, r0 + j + lanes); var e1 = TL.LoadB<T>(b, r1 + j + lanes);
                    var e2 = TL.LoadB<T>(b, r2 + j + lanes); var e3 = TL.LoadB<T>(b, r3 + j + lanes);
                    for (int i = 0; i < mm; i++)
                    {
                        float* ai = a + i * rsA + p * csA;
                        float* ac = acc + i * Cols + j;
                        var x0 = TL.Broadcast(ai[0]); var x1 = TL.Broadcast(ai[csA]);
                        var x2 = TL.Broadcast(ai[2 * csA]); var x3 = TL.Broadcast(ai[3 * csA]);
                        var v = TL.Fma(x0, b0, TL.Load(ac));
                        var u = TL.Fma(x0, e0, TL.Load(ac + lanes));
                        v = TL.Fma(x1, b1, v);
                        u = TL.Fma(x1, e1, u);
                        v = TL.Fma(x2, b2, v);
                        u = TL.Fma(x2, e2, u);
                        TL.Store(TL.Fma(x3, b3, v), ac);
                        TL.Store(TL.Fma(x3, e3, u), ac + lanes);
                    }
                }
                for (; j < wL; j += lanes)
                {
                    var b0 = TL.LoadB<T>(b, r0 + j); var b1 = TL.LoadB<T>(b, r1 + j);
                    var b2 = TL.LoadB<T>(b, r2 + j); var b3 = TL.LoadB<T>(b, r3 + j);
                    for (int i = 0; i < mm; i++)
                    {
                        float* ai = a + i * rsA + p * csA;
                        float* ac = acc + i * Cols + j;
                        var v = TL.Fma(TL.Broadcast(ai[0]), b0, TL.Load(ac));
                        v = TL.Fma(TL.Broadcast(ai[csA]), b1, v);
                        v = TL.Fma(TL.Broadcast(ai[2 * csA]), b2, v);
                        TL.Store(TL.Fma(TL.Broadcast(ai[3 * csA]), b3, v), ac);
                    }
                }
            }
            for (; p < k; p++)
                for (int j = 0; j < wL; j += lanes)
                {
                    var b0 = TL.LoadB<T>(b, p * rsB + jb + j);
                    for (int i = 0; i < mm; i++)
                    {
                        float* ac = acc + i * Cols + j;
                        TL.Store(TL.Fma(TL.Broadcast(a[i * rsA + p * csA]), b0, TL.Load(ac)), ac);
                    }
                }
            for (int i = 0; i < mm; i++)
            {
                float* ac = acc + i * Cols;
                for (int j = wL; j < w; j++) // fewer columns left than a vector holds
                {
                    float sum = 0;
                    for (int q = 0; q < k; q++) sum += a[i * rsA + q * csA] * T.Get(b, q * rsB + jb + j);
                    ac[j] = sum;
                }
                float* ci = c + i * rsC + jb * csC;
                for (int j = 0; j < w; j++) Put(ci + j * csC, ac[j], alpha, beta);
            }
        }
    }

    /// <summary>B' columns contiguous (e.g. x·Wᵀ with W stored [out, in]): 4 columns of B' at a time
    /// (kept in L2) against every row of A', a vector's lanes along k.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot loops: no slow tier-0 phase
    private static void Dots<T>(int mm, int j0, int j1, int k, float alpha, float* a, nint rsA,
        void* b, nint csB, float beta, float* c, nint rsC, nint csC) where T : struct, IGemmElement
    {
        int lanes = TL.Count, kL = k & ~(lanes - 1);
        for (int j = j0; j < j1; j += 4)
        {
            int cols = Math.Min(4, j1 - j);
            nint b0 = j * csB, b1 = (j + Math.Min(1, cols - 1)) * csB, b2 = (j + Math.Min(2, cols - 1)) * csB, b3 = (j + cols - 1) * csB;
            for (int i = 0; i < mm; i++)
            {
                float* ai = a + i * rsA;
                var s0 = TL.Zero; var s1 = s0; var s2 = s0; var s3 = s0;
                for (int p = 0; p < kL; p += lanes)
                {
                    var ap = TL.Load(ai + p);
                    s0 = TL.Fma(ap, TL.LoadB<T>(b, b0 + p), s0);
                    s1 = TL.Fma(ap, TL.LoadB<T>(b, b1 + p), s1);
                    s2 = TL.Fma(ap, TL.LoadB<T>(b, b2 + p), s2);
                    s3 = TL.Fma(ap, TL.LoadB<T>(b, b3 + p), s3);
                }
                float d0 = TL.Sum(s0), d1 = TL.Sum(s1), d2 = TL.Sum(s2), d3 = TL.Sum(s3);
                for (int p = kL; p < k; p++)
                {
                    float x = ai[p];
                    d0 += x * T.Get(b, b0 + p); d1 += x * T.Get(b, b1 + p);
                    d2 += x * T.Get(b, b2 + p); d3 += x * T.Get(b, b3 + p);
                }
                float* ci = c + i * rsC + j * csC;
                Put(ci, d0, alpha, beta);
                if (cols > 1) Put(ci + csC, d1, alpha, beta);
                if (cols > 2) Put(ci + 2 * csC, d2, alpha, beta);
                if (cols > 3) Put(ci + 3 * csC, d3, alpha, beta);
            }
        }
    }
}
