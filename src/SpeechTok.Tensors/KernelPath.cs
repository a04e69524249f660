using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SpeechTok.Tensors;

/// <summary>
/// Which SIMD kernels the engine runs on this machine. They differ in register tiles (GEMM: 14×32 on AVX-512, 6×16 on
/// AVX2) and in reduction widths, so floating-point results agree across paths only to rounding (about 1e-9 relative
/// on a training loss), while on one path the same seed gives the same bits. Recorded where numbers are meant to be
/// reproduced bit for bit (<c>lm train</c>'s training_run.json).
/// </summary>
public static class KernelPath
{
    /// <summary><c>avx512</c>, <c>avx2</c>, <c>vector128</c> (e.g. Arm NEON) or <c>scalar</c>: the widest vectors the engine uses here.</summary>
    public static string Name { get; } =
        Vector512.IsHardwareAccelerated && Avx512F.IsSupported ? "avx512"
        : Vector256.IsHardwareAccelerated && Avx2.IsSupported ? "avx2"
        : Vector128.IsHardwareAccelerated ? "vector128"
        : "scalar";
}
