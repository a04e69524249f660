using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SpeechTok.Tensors;

/// <summary>16×16 in-register transpose (AVX-512), used to pack a transposed operand without scalar gathers.</summary>
internal static unsafe class GemmTranspose
{
    /// <summary>
    /// dst[t·ldd + i] = src[rows[i] + col + t] for i, t &lt; 16 (src of element type T, upcast to float). The 16
    /// output rows are stored in order of t, each as one 16-float store, so with ldd &lt; 16 every row's spill past
    /// ldd is overwritten by the next row (the caller keeps room for the last one's).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Block16<T>(void* src, nint* rows, nint col, float* dst, nint ldd) where T : struct, IGemmElement
    {
        // Stage 1+2: 4×4 transposes inside each 128-bit lane, per group g of four source rows: lane l of
        // u{g}{q} holds column 4l+q of those rows. All in locals so that nothing goes through the stack.
        Group<T>(src, rows, col, out var u00, out var u01, out var u02, out var u03);
        Group<T>(src, rows + 4, col, out var u10, out var u11, out var u12, out var u13);
        Group<T>(src, rows + 8, col, out var u20, out var u21, out var u22, out var u23);
        Group<T>(src, rows + 12, col, out var u30, out var u31, out var u32, out var u33);
        // Stage 3: output row 4l+q gathers lane l of u{g}{q} from the four groups.
        Rows(u00, u10, u20, u30, out var o0, out var o4, out var o8, out var o12);
        Rows(u01, u11, u21, u31, out var o1, out var o5, out var o9, out var o13);
        Rows(u02, u12, u22, u32, out var o2, out var o6, out var o10, out var o14);
        Rows(u03, u13, u23, u33, out var o3, out var o7, out var o11, out var o15);
        Vector512.Store(o0, dst); Vector512.Store(o1, dst + ldd); Vector512.Store(o2, dst + 2 * ldd); Vector512.Store(o3, dst + 3 * ldd);
        Vector512.Store(o4, dst + 4 * ldd); Vector512.Store(o5, dst + 5 * ldd); Vector512.Store(o6, dst + 6 * ldd); Vector512.Store(o7, dst + 7 * ldd);
        Vector512.Store(o8, dst + 8 * ldd); Vector512.Store(o9, dst + 9 * ldd); Vector512.Store(o10, dst + 10 * ldd); Vector512.Store(o11, dst + 11 * ldd);
        Vector512.Store(o12, dst + 12 * ldd); Vector512.Store(o13, dst + 13 * ldd); Vector512.Store(o14, dst + 14 * ldd); Vector512.Store(o15, dst + 15 * ldd);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Group<T>(void* src, nint* r, nint col, out Vector512<float> q0, out Vector512<float> q1, out Vector512<float> q2, out Vector512<float> q3)
        where T : struct, IGemmElement
    {
        var r0 = T.Load512(src, r[0] + col); var r1 = T.Load512(src, r[1] + col);
        var r2 = T.Load512(src, r[2] + col); var r3 = T.Load512(src, r[3] + col);
        var t0 = Avx512F.UnpackLow(r0, r1).AsDouble(); var t1 = Avx512F.UnpackHigh(r0, r1).AsDouble();
        var t2 = Avx512F.UnpackLow(r2, r3).AsDouble(); var t3 = Avx512F.UnpackHigh(r2, r3).AsDouble();
        q0 = Avx512F.UnpackLow(t0, t2).AsSingle();
        q1 = Avx512F.UnpackHigh(t0, t2).AsSingle();
        q2 = Avx512F.UnpackLow(t1, t3).AsSingle();
        q3 = Avx512F.UnpackHigh(t1, t3).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Rows(Vector512<float> g0, Vector512<float> g1, Vector512<float> g2, Vector512<float> g3,
        out Vector512<float> row0, out Vector512<float> row4, out Vector512<float> row8, out Vector512<float> row12)
    {
        var x0 = Avx512F.Shuffle4x128(g0, g1, 0x44); var x1 = Avx512F.Shuffle4x128(g0, g1, 0xEE);
        var y0 = Avx512F.Shuffle4x128(g2, g3, 0x44); var y1 = Avx512F.Shuffle4x128(g2, g3, 0xEE);
        row0 = Avx512F.Shuffle4x128(x0, y0, 0x88);
        row4 = Avx512F.Shuffle4x128(x0, y0, 0xDD);
        row8 = Avx512F.Shuffle4x128(x1, y1, 0x88);
        row12 = Avx512F.Shuffle4x128(x1, y1, 0xDD);
    }
}
