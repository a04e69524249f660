using System.Numerics;
using System.Runtime.Intrinsics;

namespace SpeechTok.Tensors;

/// <summary>bfloat16 and IEEE half conversions. BF16 upcast is exact: the bits shifted left by 16.</summary>
public static class Half16
{
    public static float Bf16ToF32(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

    /// <summary>Round to nearest even, as torch does; NaN stays NaN.</summary>
    public static ushort F32ToBf16(float f)
    {
        uint u = BitConverter.SingleToUInt32Bits(f);
        if (float.IsNaN(f)) return (ushort)((u >> 16) | 0x40);
        u += 0x7FFF + ((u >> 16) & 1);
        return (ushort)(u >> 16);
    }

    public static float F16ToF32(ushort bits) => (float)BitConverter.UInt16BitsToHalf(bits);

    public static ushort F32ToF16(float f) => BitConverter.HalfToUInt16Bits((Half)f);

    public static void Bf16ToF32(ReadOnlySpan<ushort> src, Span<float> dst)
    {
        if (dst.Length < src.Length) throw new ArgumentException("destination too short");
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref ushort s = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(src);
            ref float d = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(dst);
            for (; i + 8 <= src.Length; i += 8)
            {
                var h = Vector128.LoadUnsafe(ref s, (nuint)i);
                var w = Vector256.WidenLower(Vector256.Create(h, h)); // 8 x u16 -> 8 x u32 (lower half)
                (Vector256.ShiftLeft(w, 16)).AsSingle().StoreUnsafe(ref d, (nuint)i);
            }
        }
        for (; i < src.Length; i++) dst[i] = Bf16ToF32(src[i]);
    }

    public static void F16ToF32(ReadOnlySpan<ushort> src, Span<float> dst)
    {
        if (dst.Length < src.Length) throw new ArgumentException("destination too short");
        for (int i = 0; i < src.Length; i++) dst[i] = F16ToF32(src[i]);
    }
}
