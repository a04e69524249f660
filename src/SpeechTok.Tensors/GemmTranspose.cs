using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SpeechTok.Tensors;

/// <summary>16×16 in-register transpose (AVX-512), used to pack a transposed operand without scalar gathers.</summary>
internal static unsafe class GemmTranspose
{
    /// <summary>dst[t·ldd + i] = src[rows[i] + col + t] for i, t &lt; 16 (src of element type T, upcast to float).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Block16<T>(void* src, nint* rows, nint col, float* dst, nint ldd) where T : struct, IGemmElement
    {
        // Stage 1+2: 4×4 transposes inside each 128-bit lane, per group of four source rows.
        var u = stackalloc Vector512<float>[16];
        for (int g = 0; g < 4; g++)
        {
            nint* r = rows + 4 * g;
            var r0 = T.Load512(src, r[0] + col); var r1 = T.Load512(src, r[1] + col);
            var r2 = T.Load512(src, r[2] + col); var r3 = T.Load512(src, r[3] + col);
            var t0 = Avx512F.UnpackLow(r0, r1).AsDouble(); var t1 = Avx512F.UnpackHigh(r0, r1).AsDouble();
            var t2 = Avx512F.UnpackLow(r2, r3).AsDouble(); var t3 = Avx512F.UnpackHigh(r2, r3).AsDouble();
            u[4 * g + 0] = Avx512F.UnpackLow(t0, t2).AsSingle();  // lane l: column 4l+0 of the 4 rows
            u[4 * g + 1] = Avx512F.UnpackHigh(t0, t2).AsSingle(); // column 4l+1
            u[4 * g + 2] = Avx512F.UnpackLow(t1, t3).AsSingle();  // column 4l+2
            u[4 * g + 3] = Avx512F.UnpackHigh(t1, t3).AsSingle(); // column 4l+3
        }
        // Stage 3: output row 4l+q gathers lane l of u[g][q] from the four groups.
        for (int q = 0; q < 4; q++)
        {
            var x0 = Avx512F.Shuffle4x128(u[q], u[4 + q], 0x44); var x1 = Avx512F.Shuffle4x128(u[q], u[4 + q], 0xEE);
            var y0 = Avx512F.Shuffle4x128(u[8 + q], u[12 + q], 0x44); var y1 = Avx512F.Shuffle4x128(u[8 + q], u[12 + q], 0xEE);
            Vector512.Store(Avx512F.Shuffle4x128(x0, y0, 0x88), dst + (0 + q) * ldd);
            Vector512.Store(Avx512F.Shuffle4x128(x0, y0, 0xDD), dst + (4 + q) * ldd);
            Vector512.Store(Avx512F.Shuffle4x128(x1, y1, 0x88), dst + (8 + q) * ldd);
            Vector512.Store(Avx512F.Shuffle4x128(x1, y1, 0xDD), dst + (12 + q) * ldd);
        }
    }
}
