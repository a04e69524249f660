using SpeechTok.Tensors;

namespace SpeechTok.Tests.Tensors;

public sealed unsafe class GemmTests
{
    // Small blocks so that modest matrices cross every MC/KC/NC boundary and the skinny threshold.
    private static readonly GemmPlan TinyBlocks = new(14, 32, mc: 28, kc: 16, nc: 64, skinnyMax: 4, &GemmKernels.Kernel512x14x32);
    private static readonly GemmPlan TinyNarrow = new(6, 16, mc: 12, kc: 16, nc: 48, skinnyMax: 0, &GemmKernels.Kernel256x6x16);

    private static readonly (int M, int N, int K)[] Shapes =
    [
        (1, 1, 1), (2, 3, 5), (1, 100, 37), (100, 1, 37), (4, 70, 33), (70, 5, 33),
        (15, 33, 17), (2, 1100, 70), (29, 65, 100), (257, 129, 511),
    ];

    public static TheoryData<string, bool, bool, int> Configs()
    {
        var d = new TheoryData<string, bool, bool, int>();
        foreach (var plan in new[] { "default", "narrow", "tiny", "tinyNarrow" })
            foreach (var ta in new[] { false, true })
                foreach (var tb in new[] { false, true })
                    foreach (var threads in new[] { 1, 2 })
                        d.Add(plan, ta, tb, threads);
        return d;
    }

    private static GemmPlan Plan(string name) => name switch
    {
        "default" => GemmPlan.Default,
        "narrow" => GemmPlan.Narrow,
        "tiny" => TinyBlocks,
        _ => TinyNarrow,
    };

    /// <summary>The 512-bit plans cannot run without AVX-512: such cases are reported as skipped, not as passed.</summary>
    private static void SkipUnlessWideKernels(string plan) =>
        Skip.If(plan is "default" or "tiny" && !System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated, $"plan '{plan}' needs AVX-512 (Vector512 is not accelerated here)");

    [SkippableTheory]
    [MemberData(nameof(Configs))]
    public void MatchesNaiveLoopOverOddShapes(string plan, bool transA, bool transB, int threads)
    {
        SkipUnlessWideKernels(plan);
        var rng = new Random(42);
        foreach (var (m, n, k) in Shapes)
        {
            if (plan != "default" && (long)m * n * k > 1 << 20) continue; // the big shape once per transpose/threads
            var p = Problem.Random(rng, transA, transB, m, n, k, pad: 3);
            p.Run(Plan(plan), 1f, 0f, threads, nanC: true);
            p.Check($"{plan} {m}x{n}x{k}");
        }
    }

    /// <summary>
    /// The skinny axpy form (x·W, W streamed by rows) sums each C[i, j] over p in order, one FMA per term, however its
    /// column loop is unrolled: results are the bits of that sequential FMA chain (so unrolling cannot change a
    /// trained model). Column counts are whole vectors here (the remainder columns are summed without FMA).
    /// </summary>
    [SkippableTheory]
    [InlineData("narrow")]
    [InlineData("default")]
    public void The_skinny_axpy_form_is_the_sequential_fma_chain_bit_for_bit(string plan)
    {
        SkipUnlessWideKernels(plan);
        var rng = new Random(7);
        foreach (var (m, n, k) in new[] { (1, 1104, 37), (3, 96, 64), (8, 1600, 9), (5, 48, 130) })
        {
            Assert.True(Plan(plan).TakesSkinny(false, false, m, n));
            var p = Problem.Random(rng, false, false, m, n, k, pad: 3);
            p.Run(Plan(plan), 0.5f, 0f, threads: 2, nanC: true);
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    float acc = 0;
                    for (int q = 0; q < k; q++) acc = MathF.FusedMultiplyAdd(p.A[i * p.Lda + q], p.B[q * p.Ldb + j], acc);
                    Assert.True(BitConverter.SingleToInt32Bits(0.5f * acc) == BitConverter.SingleToInt32Bits(p.C[i * p.Ldc + j]),
                        $"{plan} {m}x{n}x{k}: C[{i},{j}] = {p.C[i * p.Ldc + j]:R}, the FMA chain gives {0.5f * acc:R}");
                }
        }
    }

    /// <summary>The AVX2 plan sends GEMV-like products to the 8-lane skinny path, but its axpy form (the large operand streamed by
    /// rows) only up to 8 rows: from ~12 rows packing was faster on Zen 3. The AVX-512 plan takes both forms up to 16 rows.</summary>
    [Fact]
    public void The_skinny_threshold_depends_on_the_form()
    {
        var narrow = GemmPlan.Narrow;
        Assert.True(narrow.TakesSkinny(false, true, 1, 4096));   // x·Wᵀ, one token: dot products
        Assert.True(narrow.TakesSkinny(false, true, 16, 4096));
        Assert.True(narrow.TakesSkinny(false, false, 8, 1024));  // dY·W: rows of W streamed (axpy)
        Assert.False(narrow.TakesSkinny(false, false, 12, 1024));
        Assert.True(narrow.TakesSkinny(false, false, 1024, 12)); // m > n: the transposed product, op(A)ᵀ by columns: dot products
        Assert.False(narrow.TakesSkinny(true, false, 1024, 12)); // … op(A) transposed: its rows stream (axpy)
        Assert.False(narrow.TakesSkinny(false, true, 17, 4096));
        Assert.True(GemmPlan.Wide.TakesSkinny(false, false, 16, 1024));
        Assert.False(GemmPlan.Wide.TakesSkinny(false, false, 17, 1024));
    }

    [Theory]
    [InlineData(1f, 1f)]
    [InlineData(-0.5f, 0.3f)]
    [InlineData(2f, 0f)]
    [InlineData(0f, 0.5f)]
    public void AlphaBetaVariants(float alpha, float beta)
    {
        var rng = new Random(7);
        foreach (var (m, n, k) in new[] { (1, 90, 40), (90, 2, 40), (31, 47, 53) })
            foreach (var plan in new[] { GemmPlan.Default, TinyBlocks, TinyNarrow })
                foreach (var (ta, tb) in new[] { (false, false), (true, true), (false, true) })
                {
                    if (plan != TinyNarrow && !System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated) continue;
                    var p = Problem.Random(rng, ta, tb, m, n, k, pad: 2);
                    p.Run(plan, alpha, beta, threads: 2, nanC: beta == 0);
                    p.Check($"α={alpha} β={beta} {m}x{n}x{k}");
                }
    }

    [Fact]
    public void KZeroScalesC()
    {
        var c = new float[] { 1, 2, 3, 4 };
        Gemm.Sgemm(false, false, 2, 2, 0, 1f, ReadOnlySpan<float>.Empty, 1, ReadOnlySpan<float>.Empty, 2, 0.5f, c, 2);
        Assert.Equal(new float[] { 0.5f, 1, 1.5f, 2 }, c);
        var nan = new float[] { float.NaN, float.NaN };
        Gemm.Sgemm(false, false, 1, 2, 0, 1f, ReadOnlySpan<float>.Empty, 1, ReadOnlySpan<float>.Empty, 2, 0f, nan, 2);
        Assert.Equal(new float[] { 0, 0 }, nan);
    }

    [Fact]
    public void PublicEntryPointsUseThreadingSetting()
    {
        var rng = new Random(3);
        int saved = Threading.Threads;
        try
        {
            foreach (var threads in new[] { 1, 2 })
            {
                Threading.Threads = threads;
                var p = Problem.Random(rng, false, true, 61, 77, 45, pad: 1);
                fixed (float* a = p.A, b = p.B, c = p.C)
                    Gemm.Sgemm(false, true, p.M, p.N, p.K, 1f, a, p.Lda, b, p.Ldb, 0f, c, p.Ldc);
                p.Alpha = 1; p.Beta = 0;
                p.Check($"public threads={threads}");
            }
        }
        finally { Threading.Threads = saved; }
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void Bf16BMatchesUpcastReference(bool transA, bool transB)
    {
        var rng = new Random(11);
        foreach (var (m, n, k) in new[] { (1, 70, 50), (3, 40, 19), (70, 3, 50), (45, 77, 130) })
        {
            var p = Problem.Random(rng, transA, transB, m, n, k, pad: 2);
            var b16 = new ushort[p.B.Length];
            for (int i = 0; i < b16.Length; i++)
            {
                b16[i] = Half16.F32ToBf16(p.B[i]);
                p.B[i] = Half16.Bf16ToF32(b16[i]); // the reference uses exactly the stored values
            }
            p.PoisonC();
            Gemm.SgemmBf16B(transA, transB, m, n, k, 0.75f, p.A, p.Lda, b16, p.Ldb, 0f, p.C, p.Ldc);
            p.Alpha = 0.75f; p.Beta = 0;
            p.Check($"bf16 {m}x{n}x{k}");
        }
    }

    [Theory]
    [InlineData(5, 9, 13, 11, 7)]    // small products: parallel over the batch
    [InlineData(3, 160, 130, 210, 1)] // large products: all threads per product
    public void BatchedMatchesPerProductReference(int batch, int m, int n, int k, int gap)
    {
        var rng = new Random(5);
        foreach (var (ta, tb) in new[] { (false, false), (true, true) })
        {
            var ps = Enumerable.Range(0, batch).Select(_ => Problem.Random(rng, ta, tb, m, n, k, pad: 0)).ToArray();
            long sa = ps[0].A.Length + gap, sb = ps[0].B.Length + gap, sc = ps[0].C.Length + gap;
            float[] a = new float[sa * batch], b = new float[sb * batch], c = new float[sc * batch];
            for (int i = 0; i < batch; i++)
            {
                ps[i].A.CopyTo(a, sa * i);
                ps[i].B.CopyTo(b, sb * i);
                ps[i].C.CopyTo(c, sc * i);
            }
            Gemm.SgemmBatched(ta, tb, m, n, k, 1.5f, a, ps[0].Lda, sa, b, ps[0].Ldb, sb, 0.5f, c, ps[0].Ldc, sc, batch);
            for (int i = 0; i < batch; i++)
            {
                for (int j = 0; j < gap; j++) Assert.Equal(0f, c[sc * i + ps[i].C.Length + j]); // gaps untouched
                Array.Copy(c, sc * i, ps[i].C, 0, ps[i].C.Length);
                ps[i].Alpha = 1.5f; ps[i].Beta = 0.5f;
                ps[i].Check($"batch item {i}");
            }
        }
    }

    [Fact]
    public void ShortBuffersThrowNamingShapes()
    {
        var a = new float[12]; // [3, 4]
        var b = new float[29]; // one short of [5, 6]
        var c = new float[18];
        var e = Assert.Throws<ShapeMismatchException>(() => Gemm.Sgemm(false, false, 3, 6, 5, 1f, a, 5, b, 6, 0f, c, 6));
        Assert.Contains("A is [3, 5]", e.Message);
        Assert.Contains("B is [5, 6]", e.Message);
        Assert.Contains("A with row stride 5 needs 15 elements but its buffer holds 12", e.Message);

        e = Assert.Throws<ShapeMismatchException>(() => Gemm.Sgemm(false, false, 3, 6, 4, 1f, a, 4, new float[23], 6, 0f, c, 6));
        Assert.Contains("B is [4, 6]", e.Message);
        Assert.Contains("B with row stride 6 needs 24 elements but its buffer holds 23", e.Message);

        e = Assert.Throws<ShapeMismatchException>(() => Gemm.Sgemm(false, false, 3, 6, 4, 1f, a, 4, b, 6, 0f, new float[17], 6));
        Assert.Contains("C is [3, 6]", e.Message);

        e = Assert.Throws<ShapeMismatchException>(() => Gemm.Sgemm(true, false, 3, 6, 4, 1f, a, 2, b, 6, 0f, c, 6));
        Assert.Contains("A is [4, 3] (transposed)", e.Message);
        Assert.Contains("lda = 2", e.Message);

        e = Assert.Throws<ShapeMismatchException>(() => Gemm.SgemmBf16B(false, true, 3, 6, 4, 1f, a, 4, new ushort[23], 4, 0f, c, 6));
        Assert.Contains("B is [6, 4] (transposed)", e.Message);

        e = Assert.Throws<ShapeMismatchException>(() => Gemm.SgemmBatched(false, false, 3, 6, 4, 1f, a, 4, 12, new float[24], 6, 24, 0f, c, 6, 18, 2));
        Assert.Contains("A is [3, 4]", e.Message);
    }

    [Fact]
    public void MatMulMultipliesAndNamesBothShapesOnMismatch()
    {
        var rng = new Random(9);
        using var x = Tensor.FromData(Enumerable.Range(0, 2 * 3 * 4).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray(), 2, 3, 4);
        using var w = Tensor.FromData(Enumerable.Range(0, 5 * 4).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray(), 5, 4);
        using var y = Gemm.MatMul(x, w, transB: true);
        Assert.Equal(new[] { 2, 3, 5 }, y.Shape);
        for (int r = 0; r < 6; r++)
            for (int o = 0; o < 5; o++)
            {
                double s = 0;
                for (int i = 0; i < 4; i++) s += (double)x.ReadOnlySpan[r * 4 + i] * w.ReadOnlySpan[o * 4 + i];
                Assert.Equal(s, y.ReadOnlySpan[r * 5 + o], 5);
            }

        using var bad = Tensor.Zeros(5, 6);
        using var a34 = Tensor.Zeros(3, 4);
        var e = Assert.Throws<ShapeMismatchException>(() => Gemm.MatMul(a34, bad));
        Assert.Contains("A is [3, 4] but B is [5, 6]", e.Message);
    }

    /// <summary>One product with padded leading dimensions, its inputs, and a float64 reference.</summary>
    private sealed class Problem
    {
        public required bool TransA, TransB;
        public required int M, N, K, Lda, Ldb, Ldc;
        public required float[] A, B, C, C0;
        public float Alpha, Beta;

        public static Problem Random(Random rng, bool ta, bool tb, int m, int n, int k, int pad)
        {
            int lda = (ta ? m : k) + pad, ldb = (tb ? k : n) + pad, ldc = n + pad;
            var p = new Problem
            {
                TransA = ta, TransB = tb, M = m, N = n, K = k, Lda = lda, Ldb = ldb, Ldc = ldc,
                A = Fill(rng, (ta ? k : m) * lda), B = Fill(rng, (tb ? n : k) * ldb), C = Fill(rng, m * ldc), C0 = [],
            };
            p.C0 = (float[])p.C.Clone();
            return p;
        }

        private static float[] Fill(Random rng, int len) => Enumerable.Range(0, len).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();

        public void Run(GemmPlan plan, float alpha, float beta, int threads, bool nanC)
        {
            Alpha = alpha; Beta = beta;
            if (nanC) PoisonC();
            fixed (float* a = A, b = B, c = C)
                GemmDriver<F32Element>.Run(plan, TransA, TransB, M, N, K, alpha, a, Lda, b, Ldb, beta, c, Ldc, threads);
        }

        /// <summary>NaN in the logical part of C: β = 0 must not read it.</summary>
        public void PoisonC()
        {
            for (int i = 0; i < M; i++) Array.Fill(C, float.NaN, i * Ldc, N);
        }

        public void Check(string what)
        {
            for (int i = 0; i < M; i++)
            {
                for (int j = 0; j < N; j++)
                {
                    double s = 0, mag = 0;
                    for (int p = 0; p < K; p++)
                    {
                        double x = TransA ? A[p * Lda + i] : A[i * Lda + p], y = TransB ? B[j * Ldb + p] : B[p * Ldb + j];
                        s += x * y;
                        mag += Math.Abs(x * y);
                    }
                    double c0 = C0[i * Ldc + j];
                    double want = Alpha * s + (Beta == 0 ? 0 : Beta * c0);
                    double scale = Math.Abs(Alpha) * mag + Math.Abs(Beta * c0) + 1e-30;
                    double got = C[i * Ldc + j];
                    if (!(Math.Abs(got - want) <= 1e-4 * scale))
                        Assert.Fail($"{what} tA={TransA} tB={TransB}: C[{i},{j}] = {got}, want {want} (scale {scale})");
                }
                for (int j = N; j < Ldc && i * Ldc + j < C.Length; j++)
                    Assert.True(C[i * Ldc + j] == C0[i * Ldc + j], $"{what}: padding C[{i},{j}] was written");
            }
        }
    }
}
