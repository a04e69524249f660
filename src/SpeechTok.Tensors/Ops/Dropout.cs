using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SpeechTok.Tensors.Ops;

/// <summary>
/// Inverted dropout with a seeded keep-mask: y = x·mask/(1−p). The mask depends only on (seed, element
/// index), so the same seed gives the same mask on any thread count and on the vector or the scalar path.
/// </summary>
public static unsafe class Dropout
{
    /// <summary>Fills mask (n bytes, 1 = kept) and y; p = 0 copies x and keeps everything.</summary>
    public static void Forward(float* y, byte* mask, float* x, int n, float p, ulong seed)
    {
        if (p < 0 || p >= 1) throw new SpeechTokException($"dropout probability {p} is outside [0, 1)");
        float scale = 1f / (1f - p);
        // Keep iff uniform >= p, with the uniform from a counter-based hash (SplitMix64 finaliser); p = 0 gives
        // threshold 0, which keeps every element.
        ulong threshold = (ulong)(p * (double)(1UL << 53));
        nint yp = (nint)y, mp = (nint)mask, xp = (nint)x;
        Threading.ForRange(n, 1 << 16, (s, e) =>
        {
            int i = s;
            // The hash is 64-bit integer work (two multiplies per element): 8 lanes of AVX-512 (vpmullq) give the
            // same bits as SplitMix64.Mix, and the float lanes compute the same x·scale or +0.
            if (Avx512DQ.IsSupported && e - s >= 8)
            {
                var lane = Vector512.Create(0UL, 1, 2, 3, 4, 5, 6, 7) * SplitMix64.Gamma;
                var step = Vector512.Create(unchecked(8UL * SplitMix64.Gamma));
                var z0 = Vector512.Create(seed + (ulong)s * SplitMix64.Gamma) + lane;
                var thr = Vector512.Create(threshold);
                var vs = Vector256.Create(scale);
                for (; i <= e - 8; i += 8, z0 += step)
                {
                    var z = (z0 ^ Vector512.ShiftRightLogical(z0, 30)) * 0xBF58476D1CE4E5B9UL;
                    z = (z ^ Vector512.ShiftRightLogical(z, 27)) * 0x94D049BB133111EBUL;
                    z ^= Vector512.ShiftRightLogical(z, 31);
                    var keep = Vector512.GreaterThanOrEqual(Vector512.ShiftRightLogical(z, 11), thr);
                    *(ulong*)((byte*)mp + i) = Avx512F.ConvertToVector128Byte(keep & Vector512<ulong>.One).AsUInt64().ToScalar();
                    var xv = Vector256.Load((float*)xp + i);
                    Vector256.ConditionalSelect(Avx512F.ConvertToVector256UInt32(keep).AsSingle(), xv * vs, Vector256<float>.Zero).Store((float*)yp + i);
                }
            }
            for (; i < e; i++)
            {
                bool keep = (SplitMix64.Mix(seed + (ulong)i * SplitMix64.Gamma) >> 11) >= threshold;
                ((byte*)mp)[i] = keep ? (byte)1 : (byte)0;
                ((float*)yp)[i] = keep ? ((float*)xp)[i] * scale : 0f;
            }
        });
    }

    /// <summary>dx += dy·mask/(1−p); dropped elements of dx are left as they are (not even +0 is added).</summary>
    public static void Backward(float* dx, float* dy, byte* mask, int n, float p)
    {
        float scale = 1f / (1f - p);
        nint dxp = (nint)dx, dyp = (nint)dy, mp = (nint)mask;
        Threading.ForRange(n, 1 << 16, (s, e) =>
        {
            float* dxs = (float*)dxp, dys = (float*)dyp;
            byte* ms = (byte*)mp;
            int i = s;
            if (Avx512F.IsSupported)
            {
                var vs = Vector512.Create(scale);
                for (; i <= e - 16; i += 16)
                {
                    var kept = ~Vector512.Equals(Avx512F.ConvertToVector512Int32(Vector128.Load(ms + i)), Vector512<int>.Zero).AsSingle();
                    var d = Vector512.Load(dxs + i);
                    Vector512.ConditionalSelect(kept, d + Vector512.Load(dys + i) * vs, d).Store(dxs + i);
                }
            }
            for (; i < e; i++) if (ms[i] != 0) dxs[i] += dys[i] * scale;
        });
    }
}
