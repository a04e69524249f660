namespace SpeechTok.Tensors;

/// <summary>
/// SplitMix64 (Steele, Lea &amp; Flood 2014): the 64-bit mixer that seeds <see cref="Rng"/> and hashes counters
/// (dropout masks, the synthetic fixtures), and the small sequential generator of token selection's inner split
/// and random ablation. Training and initialisation draw from <see cref="Rng"/>, the project's generator.
/// </summary>
public sealed class SplitMix64(ulong seed)
{
    private ulong _state = seed;

    /// <summary>The golden-ratio increment of the state.</summary>
    public const ulong Gamma = 0x9E3779B97F4A7C15UL;

    public ulong Next()
    {
        _state += Gamma;
        return Mix(_state);
    }

    /// <summary>The SplitMix64 finaliser (a bijective 64-bit hash).</summary>
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, n) by Lemire's multiply-shift on the top 32 bits (n ≤ 2³¹).</summary>
    public int NextBelow(int n) => (int)(((Next() >> 32) * (ulong)n) >> 32);

    public void Shuffle(int[] a)
    {
        for (int i = a.Length - 1; i > 0; i--)
        {
            int j = NextBelow(i + 1);
            (a[i], a[j]) = (a[j], a[i]);
        }
    }
}
