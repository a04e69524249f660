using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SpeechTok.Tensors;

/// <summary>
/// Storage type of the B operand. The GEMM code is generic over it so that BF16 weights are upcast while
/// packing (or while streaming, on the skinny path) instead of being materialised as float32.
/// Struct type arguments make the JIT specialise every caller, so these calls cost nothing.
/// </summary>
internal unsafe interface IGemmElement
{
    static abstract float Get(void* p, nint i);

    /// <summary>Upcasts p[i..i+count) into dst.</summary>
    static abstract void Copy(void* p, nint i, float* dst, int count);

    static abstract Vector512<float> Load512(void* p, nint i);
}

internal readonly unsafe struct F32Element : IGemmElement
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Get(void* p, nint i) => ((float*)p)[i];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Copy(void* p, nint i, float* dst, int count) =>
        Unsafe.CopyBlockUnaligned(dst, (float*)p + i, (uint)count * sizeof(float));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load512(void* p, nint i) => Vector512.Load((float*)p + i);
}

internal readonly unsafe struct Bf16Element : IGemmElement
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Get(void* p, nint i) => Half16.Bf16ToF32(((ushort*)p)[i]);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Copy(void* p, nint i, float* dst, int count) =>
        Half16.Bf16ToF32(new ReadOnlySpan<ushort>((ushort*)p + i, count), new Span<float>(dst, count));

    /// <summary>16 bf16 values widened to u32 and shifted into the high half: exact upcast.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load512(void* p, nint i)
    {
        var h = Vector256.Load((ushort*)p + i);
        return Vector512.ShiftLeft(Vector512.WidenLower(h.ToVector512Unsafe()), 16).AsSingle();
    }
}
