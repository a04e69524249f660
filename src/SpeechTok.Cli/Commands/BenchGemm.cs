using System.CommandLine;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.Json;
using SpeechTok.Tensors;

namespace SpeechTok.Cli.Commands;

/// <summary>`speechtok bench gemm`: GFLOP/s of C = A·B (median of timed runs after warm-up).</summary>
internal static class BenchGemm
{
    public static Command Build()
    {
        var m = new Option<int>("--m") { Description = "Rows of op(A) and C.", DefaultValueFactory = _ => 2048 };
        var n = new Option<int>("--n") { Description = "Columns of op(B) and C.", DefaultValueFactory = _ => 2048 };
        var k = new Option<int>("--k") { Description = "Inner dimension.", DefaultValueFactory = _ => 2048 };
        var threads = CliLists.Threads("Threads, one per core by default.");
        var runs = new Option<int>("--runs") { Description = "Timed runs (at least 5); the median is reported.", DefaultValueFactory = _ => 7 };
        var transA = new Option<bool>("--transa") { Description = "Use A transposed (A stored [k, m])." };
        var transB = new Option<bool>("--transb") { Description = "Use B transposed (B stored [n, k])." };
        var bf16 = new Option<bool>("--bf16") { Description = "B stored as bfloat16 (managed backend only)." };
        var backend = new Option<string>("--backend") { Description = "managed (ours) or openblas (system libopenblas, for comparison).", DefaultValueFactory = _ => "managed" };
        backend.OneOf("managed", "openblas");
        var json = new Option<bool>("--json") { Description = "Print only the JSON result line." };
        var cmd = new Command("gemm", "GEMM throughput in GFLOP/s; last line {\"m\",\"n\",\"k\",\"threads\",\"runs\",\"transa\",\"transb\",\"bf16\",\"backend\",\"gflops\"}.")
        { m, n, k, threads, runs, transA, transB, bf16, backend, json };
        runs.Validators.Add(v =>
        {
            if (v.Tokens.Count > 0 && int.TryParse(v.Tokens[^1].Value, out int x) && x < 5) v.AddError($"--runs {x}: must be at least 5 (the median of fewer is noise)");
        });
        cmd.SetAction(r => BenchCommands.Sized("gemm", "--m, --n or --k", () => Run(r.GetValue(m), r.GetValue(n), r.GetValue(k), r.GetValue(threads), r.GetValue(runs),
            r.GetValue(transA), r.GetValue(transB), r.GetValue(bf16), r.GetValue(backend)!, r.GetValue(json))));
        return cmd;
    }

    private static unsafe int Run(int m, int n, int k, int threads, int runs, bool transA, bool transB, bool bf16, string backend, bool json)
    {
        if (m < 1 || n < 1 || k < 1) throw new SpeechTokException($"bench gemm: --m, --n, --k must be positive (got {m}, {n}, {k})");
        if (threads < 1) throw new SpeechTokException($"bench gemm: --threads must be positive (got {threads})");
        BenchCommands.FitsArray("gemm", "--m × --k", (long)m * k);
        BenchCommands.FitsArray("gemm", "--k × --n", (long)k * n);
        BenchCommands.FitsArray("gemm", "--m × --n", (long)m * n);
        bool openblas = backend == "openblas";
        if (openblas && bf16) throw new SpeechTokException("bench gemm: --bf16 needs the managed backend");
        if (openblas && !GemmOpenBlas.IsAvailable) throw new SpeechTokException("bench gemm: libopenblas.so.0 not found (apt-get install libopenblas0)");
        Threading.Threads = threads;

        var rng = new Random(1);
        // Pinned so the kernels get stable pointers without `fixed` (the timed closure captures them).
        float[] a = Fill(GC.AllocateArray<float>(m * k, pinned: true)), b = Fill(GC.AllocateArray<float>(k * n, pinned: true));
        float[] c = GC.AllocateArray<float>(m * n, pinned: true); // sizes checked above
        ushort[] b16 = GC.AllocateArray<ushort>(bf16 ? b.Length : 0, pinned: true);
        for (int i = 0; i < b16.Length; i++) b16[i] = Half16.F32ToBf16(b[i]);
        float* pa = Ptr(a), pb = Ptr(b), pc = Ptr(c);
        ushort* pb16 = (ushort*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(b16));
        int lda = transA ? m : k, ldb = transB ? k : n;
        double flops = 2.0 * m * n * k;
        void Once()
        {
            if (openblas) GemmOpenBlas.Sgemm(transA, transB, m, n, k, 1f, pa, lda, pb, ldb, 0f, pc, n, threads);
            else if (bf16) Gemm.SgemmBf16B(transA, transB, m, n, k, 1f, pa, lda, pb16, ldb, 0f, pc, n);
            else Gemm.Sgemm(transA, transB, m, n, k, 1f, pa, lda, pb, ldb, 0f, pc, n);
        }
        // Warm-up: JIT tiers, packing buffers, page faults; at least ~0.3 s of work.
        var warm = Stopwatch.StartNew();
        for (int i = 0; i < 3 || (warm.Elapsed.TotalSeconds < 0.3 && i < 1000); i++) Once();
        var times = new List<double>();
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        long done = 0;
        for (int r = 0; r < runs; r++)
        {
            // Tiny products are timed in batches so the timer resolution does not matter.
            int reps = Math.Max(1, (int)Math.Min(1000, 2e7 / flops));
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < reps; i++) Once();
            times.Add(sw.Elapsed.TotalSeconds / reps);
            done += reps;
        }
        // CPU time is a cross-check under background load: time spent descheduled does not count.
        double cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
        times.Sort();
        double median = times[times.Count / 2];
        double gflops = Math.Round(flops / median / 1e9, 2);
        if (!json)
            Console.WriteLine($"{backend}{(bf16 ? " bf16" : "")} {(transA ? "Aᵀ" : "A")}·{(transB ? "Bᵀ" : "B")} {m}×{n}×{k}, {threads} thread(s): " +
                $"median {median * 1e3:F3} ms over {runs} runs (min {times[0] * 1e3:F3}, max {times[^1] * 1e3:F3}); " +
                $"{flops * done / cpuSeconds / 1e9:F1} GFLOP per CPU-second");
        // Every option that shapes the measurement, so that a JSON line names what it measured.
        Console.WriteLine(JsonSerializer.Serialize(new { m, n, k, threads, runs, transa = transA, transb = transB, bf16, backend, gflops }));
        return 0;

        static float* Ptr(float[] x) => (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(x));

        float[] Fill(float[] x)
        {
            for (long i = 0; i < x.LongLength; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
            return x;
        }
    }
}
