namespace SpeechTok.Tensors.Ops;

/// <summary>
/// Inverted dropout with a seeded keep-mask: y = x·mask/(1−p). The mask depends only on (seed, element
/// index), so the same seed gives the same mask on any thread count.
/// </summary>
public static unsafe class Dropout
{
    /// <summary>Fills mask (n bytes, 1 = kept) and y; p = 0 copies x and keeps everything.</summary>
    public static void Forward(float* y, byte* mask, float* x, int n, float p, ulong seed)
    {
        if (p < 0 || p >= 1) throw new SpeechTokException($"dropout probability {p} is outside [0, 1)");
        float scale = 1f / (1f - p);
        // Keep iff uniform >= p, with the uniform from a counter-based hash (SplitMix64 finaliser).
        ulong threshold = (ulong)(p * (double)(1UL << 53));
        nint yp = (nint)y, mp = (nint)mask, xp = (nint)x;
        Threading.ForRange(n, 1 << 16, (s, e) =>
        {
            for (int i = s; i < e; i++)
            {
                bool keep = p == 0 || (SplitMix64.Mix(seed + (ulong)i * SplitMix64.Gamma) >> 11) >= threshold;
                ((byte*)mp)[i] = keep ? (byte)1 : (byte)0;
                ((float*)yp)[i] = keep ? ((float*)xp)[i] * scale : 0f;
            }
        });
    }

    /// <summary>dx += dy·mask/(1−p).</summary>
    public static void Backward(float* dx, float* dy, byte* mask, int n, float p)
    {
        float scale = 1f / (1f - p);
        for (int i = 0; i < n; i++) if (mask[i] != 0) dx[i] += dy[i] * scale;
    }
}
