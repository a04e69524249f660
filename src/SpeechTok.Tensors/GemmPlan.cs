using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace SpeechTok.Tensors;

/// <summary>
/// Blocking parameters and micro-kernel of the packed GEMM (BLIS naming): an MR×NR register tile,
/// a KC×NR packed B micro-panel that stays in L1 while the kernel walks the MC×KC packed A block in L2,
/// and a KC×NC packed B block shared by all threads in L3. Tests build small plans to exercise every
/// block boundary with small matrices.
/// </summary>
internal sealed unsafe class GemmPlan
{
    /// <summary>Zen 5 (48 KiB L1d, 1 MiB L2 per core): 14×32 zmm tile; KC·32·4 B = 32 KiB of B in L1.</summary>
    public static readonly GemmPlan Wide = new(14, 32, mc: 168, kc: 256, nc: 4096, skinnyMax: 16,
        &GemmKernels.Kernel512x14x32, skinnyWide: true);

    /// <summary>AVX2 (16 ymm): 6×16 tile; skinny products 8 lanes wide.</summary>
    public static readonly GemmPlan Narrow = new(6, 16, mc: 192, kc: 256, nc: 4096, skinnyMax: 16,
        &GemmKernels.Kernel256x6x16, skinnyWide: false, skinnyAxpyMax: 8);

    public static GemmPlan Default { get; } = Vector512.IsHardwareAccelerated ? Wide : Narrow;

    public readonly int MR, NR, MC, KC, NC;

    /// <summary>The most rows <see cref="SkinnyMax"/> may give the skinny path (its per-row accumulators).</summary>
    public const int SkinnyRowsLimit = 16;

    /// <summary>Products with min(m, n) ≤ this skip packing (GEMV-like, <see cref="GemmSkinny{TL, TV}"/>); 0 disables.</summary>
    public readonly int SkinnyMax;

    /// <summary>The skinny path runs 16 lanes wide (<see cref="Lanes512"/>), else 8 (<see cref="Lanes256"/>).</summary>
    public readonly bool SkinnyWide;

    /// <summary>
    /// The most rows for the skinny path's axpy form (the large operand streamed by rows, e.g. dY·W in a Linear layer's
    /// backward); at 8 lanes its per-row overhead weighs twice as much, and packing wins from ~12 rows (measured on Zen 3).
    /// </summary>
    public readonly int SkinnyAxpyMax;

    public readonly delegate*<int, float*, float*, float*, nint, float, float, void> Kernel;

    private readonly ConcurrentBag<nint> _aBuffers = new(), _bBuffers = new();

    public GemmPlan(int mr, int nr, int mc, int kc, int nc, int skinnyMax,
        delegate*<int, float*, float*, float*, nint, float, float, void> kernel, bool skinnyWide = false, int? skinnyAxpyMax = null)
    {
        if (skinnyMax > SkinnyRowsLimit) throw new ArgumentOutOfRangeException(nameof(skinnyMax));
        MR = mr; NR = nr; KC = kc; Kernel = kernel; SkinnyMax = skinnyMax; SkinnyWide = skinnyWide;
        SkinnyAxpyMax = Math.Min(skinnyMax, skinnyAxpyMax ?? skinnyMax);
        MC = (mc + mr - 1) / mr * mr;
        NC = (nc + nr - 1) / nr * nr;
    }

    /// <summary>
    /// Whether op(A)·op(B) (m×n) takes the skinny path: min(m, n) ≤ <see cref="SkinnyMax"/>, and ≤ <see cref="SkinnyAxpyMax"/>
    /// when <see cref="GemmSkinny{TL, TV}"/> would stream its large operand by rows (op(B) untransposed when m ≤ n, else
    /// op(A) transposed: the form it takes when that operand's rows are contiguous).
    /// </summary>
    public bool TakesSkinny(bool transA, bool transB, int m, int n)
    {
        int rows = Math.Min(m, n);
        if (rows > SkinnyMax) return false;
        bool axpy = m <= n ? !transB : transA;
        return !axpy || rows <= SkinnyAxpyMax;
    }

    // Packing buffers are reused across calls (allocation and page faults would dominate mid-size products);
    // at most one per concurrently running product or work unit is ever alive.
    public float* RentA() => Rent(_aBuffers, (nuint)MC * (nuint)KC + 16); // + the last 16-wide store's spill
    public float* RentB() => Rent(_bBuffers, (nuint)KC * (nuint)NC);
    public void ReturnA(float* p) => _aBuffers.Add((nint)p);
    public void ReturnB(float* p) => _bBuffers.Add((nint)p);

    private static float* Rent(ConcurrentBag<nint> bag, nuint floats) =>
        bag.TryTake(out var p) ? (float*)p : (float*)NativeMemory.AlignedAlloc(floats * sizeof(float), 64);
}
