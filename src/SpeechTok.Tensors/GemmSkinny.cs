using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace SpeechTok.Tensors;

/// <summary>
/// GEMV-like products (min(m, n) tiny, e.g. one token times a weight matrix): packing would cost as much
/// as the product, so the large operand is streamed once, straight from memory. The problem is written as
/// C'[i, j] = α·Σ_p A'(i, p)·B'(p, j) + β·C'[i, j] with few rows i and general strides; a tiny n is handled
/// as the transposed product Cᵀ = op(B)ᵀ·op(A)ᵀ. Needs Vector512 (the plan disables it otherwise).
/// </summary>
internal static unsafe class GemmSkinny<TB> where TB : struct, IGemmElement
{
    private const int Cols = 64; // columns per block of the axpy form: 4 zmm accumulators

    public static void Run(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, nint lda, void* b, nint ldb, float beta, float* c, nint ldc, int threads)
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
            GemmDriver<T>.Parallel(parts, threads, part =>
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

    /// <summary>B' rows contiguous: 64-column strips of B' (L2-resident) are reused by every row of A'.</summary>
    private static void Axpy<T>(int mm, int j0, int j1, int k, float alpha, float* a, nint rsA, nint csA,
        void* b, nint rsB, float beta, float* c, nint rsC, nint csC) where T : struct, IGemmElement
    {
        float* acc = stackalloc float[Cols];
        int j = j0;
        for (; j + Cols <= j1; j += Cols)
            for (int i = 0; i < mm; i++)
            {
                var s0 = Vector512<float>.Zero; var s1 = s0; var s2 = s0; var s3 = s0;
                float* ai = a + i * rsA;
                nint bo = j;
                for (int p = 0; p < k; p++, bo += rsB)
                {
                    var ap = Vector512.Create(ai[p * csA]);
                    s0 = Vector512.FusedMultiplyAdd(ap, T.Load512(b, bo), s0);
                    s1 = Vector512.FusedMultiplyAdd(ap, T.Load512(b, bo + 16), s1);
                    s2 = Vector512.FusedMultiplyAdd(ap, T.Load512(b, bo + 32), s2);
                    s3 = Vector512.FusedMultiplyAdd(ap, T.Load512(b, bo + 48), s3);
                }
                float* ci = c + i * rsC + j * csC;
                if (csC == 1)
                {
                    Store(s0, ci, alpha, beta); Store(s1, ci + 16, alpha, beta);
                    Store(s2, ci + 32, alpha, beta); Store(s3, ci + 48, alpha, beta);
                }
                else
                {
                    s0.Store(acc); s1.Store(acc + 16); s2.Store(acc + 32); s3.Store(acc + 48);
                    for (int s = 0; s < Cols; s++) Put(ci + s * csC, acc[s], alpha, beta);
                }
            }
        for (; j + 16 <= j1; j += 16)
            for (int i = 0; i < mm; i++)
            {
                var s0 = Vector512<float>.Zero;
                float* ai = a + i * rsA;
                nint bo = j;
                for (int p = 0; p < k; p++, bo += rsB) s0 = Vector512.FusedMultiplyAdd(Vector512.Create(ai[p * csA]), T.Load512(b, bo), s0);
                float* ci = c + i * rsC + j * csC;
                if (csC == 1) Store(s0, ci, alpha, beta);
                else
                {
                    s0.Store(acc);
                    for (int s = 0; s < 16; s++) Put(ci + s * csC, acc[s], alpha, beta);
                }
            }
        for (; j < j1; j++) // fewer than 16 columns left
            for (int i = 0; i < mm; i++)
            {
                float s = 0;
                for (int p = 0; p < k; p++) s += a[i * rsA + p * csA] * T.Get(b, p * rsB + j);
                Put(c + i * rsC + j * csC, s, alpha, beta);
            }
    }

    private static void Store(Vector512<float> v, float* c, float alpha, float beta) =>
        Vector512.Store(beta == 0 ? v * alpha : Vector512.FusedMultiplyAdd(v, Vector512.Create(alpha), Vector512.Load(c) * beta), c);

    /// <summary>B' columns contiguous (e.g. x·Wᵀ with W stored [out, in]): 4 columns of B' at a time
    /// (kept in L2) against every row of A', 16 lanes along k.</summary>
    private static void Dots<T>(int mm, int j0, int j1, int k, float alpha, float* a, nint rsA,
        void* b, nint csB, float beta, float* c, nint rsC, nint csC) where T : struct, IGemmElement
    {
        int k16 = k & ~15;
        for (int j = j0; j < j1; j += 4)
        {
            int cols = Math.Min(4, j1 - j);
            nint b0 = j * csB, b1 = (j + Math.Min(1, cols - 1)) * csB, b2 = (j + Math.Min(2, cols - 1)) * csB, b3 = (j + cols - 1) * csB;
            for (int i = 0; i < mm; i++)
            {
                float* ai = a + i * rsA;
                var s0 = Vector512<float>.Zero; var s1 = s0; var s2 = s0; var s3 = s0;
                for (int p = 0; p < k16; p += 16)
                {
                    var ap = Vector512.Load(ai + p);
                    s0 = Vector512.FusedMultiplyAdd(ap, T.Load512(b, b0 + p), s0);
                    s1 = Vector512.FusedMultiplyAdd(ap, T.Load512(b, b1 + p), s1);
                    s2 = Vector512.FusedMultiplyAdd(ap, T.Load512(b, b2 + p), s2);
                    s3 = Vector512.FusedMultiplyAdd(ap, T.Load512(b, b3 + p), s3);
                }
                float d0 = Vector512.Sum(s0), d1 = Vector512.Sum(s1), d2 = Vector512.Sum(s2), d3 = Vector512.Sum(s3);
                for (int p = k16; p < k; p++)
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
