namespace SpeechTok.Tensors.Ops;

/// <summary>
/// 1-D convolution (groups = 1) over one [channels, length] row-major signal, as im2col + <c>Gemm.Sgemm</c>.
/// Padding is a separate step (<see cref="Pad"/>) because codec layers choose asymmetric paddings themselves.
/// </summary>
public static unsafe class Conv1d
{
    /// <summary>im2col chunk (floats) when chunks run in parallel, each with a one-thread GEMM: L2-sized.</summary>
    private const int ParallelChunkFloats = 1 << 18;

    /// <summary>im2col chunk (floats) for one multi-threaded GEMM: whole signals of deep layers, so the weights are packed once.</summary>
    private const int SerialChunkFloats = 1 << 23;

    /// <summary>Below this many columns per chunk, a chunk's GEMM would mostly repack the weights.</summary>
    private const int MinParallelColumns = 96;

    [ThreadStatic] private static float[]? _col;

    public static int OutputLength(int length, int kernel, int stride, int dilation) =>
        length < dilation * (kernel - 1) + 1 ? 0 : (length - dilation * (kernel - 1) - 1) / stride + 1;

    /// <summary>
    /// y[co, t] = bias[co] + Σ_{ci,j} w[co, ci, j] · x[ci, t·stride + j·dilation] (no padding: pad x first).
    /// x is [cin, len], w is [cout, cin, k], y is [cout, OutputLength(len, k, stride, dilation)].
    /// Runs on <paramref name="threads"/> threads (0: <see cref="Threading.Threads"/>).
    /// </summary>
    public static void Forward(float* x, int cin, int len, float* w, float* bias, int cout, int k, int stride, int dilation, float* y, int threads = 0)
    {
        if (threads <= 0) threads = Threading.Threads;
        int lout = OutputLength(len, k, stride, dilation);
        if (lout == 0) return;
        for (int co = 0; co < cout; co++)
            new Span<float>(y + (long)co * lout, lout).Fill(bias == null ? 0f : bias[co]);
        int rows = cin * k;
        bool direct = k == 1 && stride == 1; // pointwise: x itself is the column matrix
        int chunk = Math.Min(lout, Math.Max(16, ParallelChunkFloats / rows));
        int chunks = (lout + chunk - 1) / chunk;
        if (threads > 1 && chunks >= 2 * threads && chunk >= MinParallelColumns)
        {
            // Independent column blocks, one single-threaded GEMM each: no synchronisation inside a product.
            nint xa = (nint)x, wa = (nint)w, ya = (nint)y;
            WorkerPool.For(threads, threads, p =>
            {
                for (int c = chunks * p / threads; c < chunks * (p + 1) / threads; c++)
                {
                    int t0 = c * chunk;
                    Block((float*)xa, cin, len, (float*)wa, cout, k, stride, dilation, (float*)ya, lout, t0, Math.Min(chunk, lout - t0), direct, 1);
                }
            });
            return;
        }
        // One thread: L2-sized blocks while they stay wide; else (and for deep layers) few wide multi-threaded GEMMs.
        if (threads > 1 || chunk < MinParallelColumns) chunk = Math.Min(lout, Math.Max(16, SerialChunkFloats / rows));
        for (int t0 = 0; t0 < lout; t0 += chunk)
            Block(x, cin, len, w, cout, k, stride, dilation, y, lout, t0, Math.Min(chunk, lout - t0), direct, threads);
    }

    /// <summary>Output columns [t0, t0 + n): im2col into this thread's buffer, then y[:, t0..] += W · col.</summary>
    private static void Block(float* x, int cin, int len, float* w, int cout, int k, int stride, int dilation, float* y, int lout, int t0, int n, bool direct, int threads)
    {
        int rows = cin * k;
        if (direct)
        {
            GemmDriver<F32Element>.Run(GemmPlan.Default, false, false, cout, n, cin, 1f, w, cin, x + t0, len, 1f, y + t0, lout, threads);
            return;
        }
        if (_col == null || _col.Length < rows * n) _col = GC.AllocateUninitializedArray<float>(rows * n, pinned: true);
        fixed (float* col = _col)
        {
            Im2Col(x, cin, len, k, stride, dilation, t0, n, col);
            GemmDriver<F32Element>.Run(GemmPlan.Default, false, false, cout, n, rows, 1f, w, rows, col, n, 1f, y + t0, lout, threads);
        }
    }

    /// <summary>col[(ci·k + j), t] = x[ci, (t0 + t)·stride + j·dilation] for t in [0, n).</summary>
    private static void Im2Col(float* x, int cin, int len, int k, int stride, int dilation, int t0, int n, float* col)
    {
        for (int ci = 0; ci < cin; ci++)
        {
            float* xr = x + (long)ci * len;
            for (int j = 0; j < k; j++)
            {
                float* dst = col + (long)(ci * k + j) * n;
                float* src = xr + (long)t0 * stride + (long)j * dilation;
                if (stride == 1) new ReadOnlySpan<float>(src, n).CopyTo(new Span<float>(dst, n));
                else for (int t = 0; t < n; t++) dst[t] = src[(long)t * stride];
            }
        }
    }

    /// <summary>
    /// Pads each of <paramref name="channels"/> rows of x [channels, len] by left/right into dst
    /// [channels, len + left + right]. Reflect mirrors around the edge samples (like F.pad 'reflect'); for an
    /// input not longer than the pad it first appends zeros up to max(left, right) + 1 samples, reflects, and
    /// drops those zeros again, as SEANet's pad1d does, so that short clips still encode.
    /// </summary>
    public static void Pad(float* x, int channels, int len, int left, int right, PadMode mode, float* dst)
    {
        if (left < 0 || right < 0 || len < 1) throw new ArgumentException($"cannot pad length {len} by ({left}, {right})");
        int outLen = len + left + right;
        int ext = mode == PadMode.Reflect ? Math.Max(len, Math.Max(left, right) + 1) : len; // length of x ++ zeros
        for (int c = 0; c < channels; c++)
        {
            float* src = x + (long)c * len;
            float* d = dst + (long)c * outLen;
            new ReadOnlySpan<float>(src, len).CopyTo(new Span<float>(d + left, len));
            for (int p = -left; p < 0; p++) d[p + left] = mode == PadMode.Zero ? 0f : At(src, len, -p);
            for (int p = len; p < len + right; p++) d[p + left] = mode == PadMode.Zero || p < ext ? 0f : At(src, len, 2 * (ext - 1) - p);
        }
    }

    private static float At(float* src, int len, int i) => i < len ? src[i] : 0f;
}
