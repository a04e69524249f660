using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace SpeechTok.Tensors;

internal readonly unsafe struct F32Element : IGemmElement
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Get(void* p, nint i) => ((float*)p)[i];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Copy(void* p, nint i, float* dst, int count) =>
        Unsafe.CopyBlockUnaligned(dst, (float*)p + i, (uint)count * sizeof(float));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load512(void* p, nint i) => Vector512.Load((float*)p + i);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load256(void* p, nint i) => Vector256.Load((float*)p + i);
}
