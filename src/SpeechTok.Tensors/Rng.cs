using System.Text;

namespace SpeechTok.Tensors;

/// <summary>
/// Seeded pseudo-random generator: xoshiro256** (Blackman &amp; Vigna), its 256-bit state filled from the
/// seed by splitmix64. The sequence depends only on the seed (never on the platform or thread count),
/// so a run is reproducible. Independent streams for different purposes come from
/// <see cref="ForPurpose"/>, so adding a new consumer never shifts the numbers of an existing one.
/// Not thread-safe: give each thread its own stream.
/// </summary>
public sealed class Rng
{
    private ulong _s0, _s1, _s2, _s3;

    public Rng(ulong seed)
    {
        var x = new SplitMix64(seed);
        _s0 = x.Next();
        _s1 = x.Next();
        _s2 = x.Next();
        _s3 = x.Next();
    }

    /// <summary>Raw state, for known-answer tests of the generator itself.</summary>
    internal Rng(ulong s0, ulong s1, ulong s2, ulong s3) => (_s0, _s1, _s2, _s3) = (s0, s1, s2, s3);

    internal (ulong, ulong, ulong, ulong) State => (_s0, _s1, _s2, _s3);

    /// <summary>
    /// A stream determined by (seed, purpose), e.g. <c>Rng.ForPurpose(seed, "lora.layer3.q_proj.A")</c>.
    /// The purpose is hashed (FNV-1a over UTF-8) and mixed with the seed before seeding.
    /// </summary>
    public static Rng ForPurpose(ulong seed, string purpose)
    {
        ulong h = 0xcbf29ce484222325UL;
        foreach (byte b in Encoding.UTF8.GetBytes(purpose))
        {
            h ^= b;
            h *= 0x100000001b3UL;
        }
        ulong mixed = new SplitMix64(seed).Next() ^ h;
        return new Rng(new SplitMix64(mixed).Next());
    }

    public ulong NextUInt64()
    {
        ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [0, 1) with 24 random bits (every value exactly representable).</summary>
    public float NextFloat() => (NextUInt64() >> 40) * (1.0f / (1 << 24));

    /// <summary>Uniform integer in [0, n), unbiased (Lemire's multiply-and-reject).</summary>
    public int NextInt(int n)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n), $"bound {n} must be positive");
        ulong bound = (ulong)n;
        ulong threshold = (0UL - bound) % bound;
        while (true)
        {
            ulong hi = Math.BigMul(NextUInt64(), bound, out ulong lo);
            if (lo >= threshold) return (int)hi;
        }
    }

    /// <summary>One standard normal sample: Box–Muller on two uniforms, the sine half discarded (no hidden cached state).</summary>
    public double NextNormal()
    {
        var (z0, _) = BoxMuller();
        return z0;
    }

    private (double, double) BoxMuller()
    {
        double u1 = 1.0 - NextDouble(); // (0, 1]: log stays finite
        double u2 = NextDouble();
        double r = Math.Sqrt(-2.0 * Math.Log(u1));
        var (sin, cos) = Math.SinCos(2.0 * Math.PI * u2);
        return (r * cos, r * sin);
    }

    /// <summary>Fills with N(mean, std²), using both Box–Muller outputs of each pair.</summary>
    public void FillNormal(Span<float> dst, double mean, double std)
    {
        int i = 0;
        for (; i + 1 < dst.Length; i += 2)
        {
            var (z0, z1) = BoxMuller();
            dst[i] = (float)(mean + std * z0);
            dst[i + 1] = (float)(mean + std * z1);
        }
        if (i < dst.Length) dst[i] = (float)(mean + std * NextNormal());
    }

    /// <summary>Fills with U[lo, hi).</summary>
    public void FillUniform(Span<float> dst, double lo, double hi)
    {
        if (!(hi >= lo)) throw new ArgumentException($"uniform range [{lo}, {hi}) is empty");
        double w = hi - lo;
        for (int i = 0; i < dst.Length; i++) dst[i] = (float)(lo + w * NextDouble());
    }

    /// <summary>
    /// The bound of torch.nn.init.kaiming_uniform_ (mode fan_in, leaky_relu):
    /// gain = √(2/(1+a²)), bound = gain·√(3/fan_in). With a = √5 (nn.Linear, PEFT lora_A) this is 1/√fan_in.
    /// </summary>
    public static double KaimingUniformBound(int fanIn, double a = 2.2360679774997896964)
    {
        if (fanIn <= 0) throw new ArgumentOutOfRangeException(nameof(fanIn), $"fan_in {fanIn} must be positive");
        double gain = Math.Sqrt(2.0 / (1.0 + a * a));
        return gain * Math.Sqrt(3.0 / fanIn);
    }

    /// <summary>Fills with U(−bound, bound), bound = <see cref="KaimingUniformBound"/>; fan_in is a weight's input width.</summary>
    public void KaimingUniform(Span<float> dst, int fanIn, double a = 2.2360679774997896964)
    {
        double bound = KaimingUniformBound(fanIn, a);
        FillUniform(dst, -bound, bound);
    }

    /// <summary>In-place Fisher–Yates shuffle.</summary>
    public void Shuffle<T>(Span<T> items)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>A uniformly random permutation of 0..n-1.</summary>
    public int[] Permutation(int n)
    {
        var p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        Shuffle<int>(p);
        return p;
    }
}
