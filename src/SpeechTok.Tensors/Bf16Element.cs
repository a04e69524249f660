using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SpeechTok.Tensors;

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

    /// <summary>8 bf16 values, as <see cref="Load512"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load256(void* p, nint i)
    {
        var h = Vector128.Load((ushort*)p + i);
        return Vector256.ShiftLeft(Vector256.WidenLower(h.ToVector256Unsafe()), 16).AsSingle();
    }
}
