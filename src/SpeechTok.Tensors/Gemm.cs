namespace SpeechTok.Tensors;

/// <summary>
/// C[m×n] = α·op(A)[m×k]·op(B)[k×n] + β·C, row-major; op(X) is X or Xᵀ; lda/ldb/ldc are the row strides
/// of A, B, C as stored. (PLACEHOLDER: naive loops, to be replaced by the packed, blocked SIMD kernel.)
/// </summary>
public static unsafe class Gemm
{
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++)
                    s += (double)(transA ? a[p * lda + i] : a[i * lda + p]) * (transB ? b[j * ldb + p] : b[p * ldb + j]);
                c[i * ldc + j] = (float)(alpha * s + (beta == 0 ? 0 : beta * c[i * ldc + j]));
            }
    }
}
