using System.Runtime.InteropServices;

namespace SpeechTok.Tensors;

/// <summary>
/// The system OpenBLAS <c>cblas_sgemm</c>, bound at run time, as a comparison backend for
/// <c>speechtok bench gemm --backend openblas</c> only; nothing in the product calls it.
/// </summary>
public static unsafe class GemmOpenBlas
{
    private const int RowMajor = 101, NoTrans = 111, Trans = 112;

    private static readonly delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void> s_sgemm;
    private static readonly delegate* unmanaged<int, void> s_setThreads;

    static GemmOpenBlas()
    {
        if (!NativeLibrary.TryLoad("libopenblas.so.0", out var lib)) return;
        if (NativeLibrary.TryGetExport(lib, "cblas_sgemm", out var f))
            s_sgemm = (delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void>)f;
        if (NativeLibrary.TryGetExport(lib, "openblas_set_num_threads", out var t))
            s_setThreads = (delegate* unmanaged<int, void>)t;
    }

    public static bool IsAvailable => s_sgemm != null;

    /// <summary>Same contract as <see cref="Gemm.Sgemm(bool, bool, int, int, int, float, float*, int, float*, int, float, float*, int)"/>.</summary>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc, int threads)
    {
        if (!IsAvailable) throw new SpeechTokException("OpenBLAS (libopenblas.so.0 with cblas_sgemm) is not installed");
        if (s_setThreads != null) s_setThreads(threads);
        s_sgemm(RowMajor, transA ? Trans : NoTrans, transB ? Trans : NoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }
}
