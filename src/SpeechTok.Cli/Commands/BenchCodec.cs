using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using SpeechTok.Codec.SpeechTokenizer;
using SpeechTok.Tensors;

namespace SpeechTok.Cli.Commands;

/// <summary>
/// `speechtok bench codec`: real-time factor (audio seconds per wall second) of the SpeechTokenizer encoder + RVQ
/// with random weights, for one clip and for a batch of clips (median of timed runs after a warm-up run). cpu_rtf*
/// divide by the process's CPU seconds instead, which stays meaningful when other jobs share the cores.
/// </summary>
internal static class BenchCodec
{
    /// <summary>Longest clip: an hour of audio is far past any measurement's need and keeps the clip buffers sane.</summary>
    private const double MaxSeconds = 3600;

    private const int SampleRate = 16000;

    public static Command Build()
    {
        var threads = CliLists.Threads("Threads, one per core by default.");
        var seconds = new Option<double>("--seconds") { Description = "Length of each clip in seconds.", DefaultValueFactory = _ => 10 }.Positive(MaxSeconds);
        var batch = new Option<int>("--batch") { Description = "Clips in the batched measurement.", DefaultValueFactory = _ => 8 }.AtLeast(1);
        var runs = new Option<int>("--runs") { Description = "Timed runs per measurement (median reported).", DefaultValueFactory = _ => 3 }.AtLeast(1);
        var nFilters = new Option<int>("--n-filters") { Description = "SEANet base width.", DefaultValueFactory = _ => 64 }.AtLeast(1);
        var dimension = new Option<int>("--dimension") { Description = "Encoder output dimension.", DefaultValueFactory = _ => 1024 }.AtLeast(1);
        var codebook = new Option<int>("--codebook-size") { Description = "Codes per RVQ layer.", DefaultValueFactory = _ => 1024 }.AtLeast(1);
        var nq = new Option<int>("--n-q") { Description = "RVQ layers.", DefaultValueFactory = _ => 8 }.AtLeast(1);
        var activation = new Option<string>("--activation") { Description = "ELU or Snake.", DefaultValueFactory = _ => "ELU" };
        activation.OneOf("ELU", "Snake");
        var json = new Option<bool>("--json") { Description = "Print only the JSON result line." };
        var cmd = new Command("codec", "SpeechTokenizer encode RTF (audio seconds per wall second); last line {\"rtf\",\"rtf_batchN\",\"threads\",\"cpu_rtf\",\"cpu_rtf_batchN\"} (N = --batch; cpu_*: per CPU second).")
        { threads, seconds, batch, runs, nFilters, dimension, codebook, nq, activation, json };
        cmd.SetAction(r => BenchCommands.Sized("codec", "--seconds, --batch, --n-filters, --dimension, --codebook-size or --n-q", () =>
        {
            int t = r.GetValue(threads), b = r.GetValue(batch), n = r.GetValue(runs);
            double s = r.GetValue(seconds); // finite, in (0, MaxSeconds]: checked while parsing
            if (t < 1) throw new SpeechTokException($"bench codec: --threads must be positive (got {t})");
            int samples = (int)(s * SampleRate); // at most 57.6 M
            if (samples < 1) throw new SpeechTokException($"bench codec: --seconds {s}: shorter than one sample at {SampleRate} Hz");
            // The batch's audio and the RVQ codebook are the buffers that grow with one option each.
            BenchCommands.FitsArray("codec", $"--batch × (--seconds × {SampleRate})", (long)b * samples);
            BenchCommands.FitsArray("codec", "--codebook-size × --dimension", (long)r.GetValue(codebook) * r.GetValue(dimension));
            Threading.Threads = t;
            var config = new Dictionary<string, object>
            {
                ["n_filters"] = r.GetValue(nFilters), ["strides"] = new[] { 8, 5, 4, 2 }, ["dimension"] = r.GetValue(dimension),
                ["semantic_dimension"] = 768, ["bidirectional"] = true, ["dilation_base"] = 2, ["residual_kernel_size"] = 3,
                ["n_residual_layers"] = 1, ["lstm_layers"] = 2, ["activation"] = r.GetValue(activation)!,
                ["codebook_size"] = r.GetValue(codebook), ["n_q"] = r.GetValue(nq), ["sample_rate"] = SampleRate,
            };
            var dir = Directory.CreateTempSubdirectory("speechtok-bench-");
            SpeechTokenizerModel model;
            try
            {
                var path = Path.Combine(dir.FullName, "config.json");
                File.WriteAllText(path, JsonSerializer.Serialize(config));
                try { model = SpeechTokenizerModel.CreateRandom(path, seed: 1); }
                // The config file is ours and deleted below: name the options, not the file.
                catch (SpeechTokException e) when (e.Message.StartsWith(path, StringComparison.Ordinal))
                {
                    throw new SpeechTokException($"bench codec: --n-filters, --dimension, --codebook-size, --n-q give no model: {e.Message[(path.Length + 2)..]}", e);
                }
            }
            finally { dir.Delete(true); }

            var rng = new Random(2);
            var clips = Enumerable.Range(0, b).Select(_ =>
                Enumerable.Range(0, samples).Select(_ => (float)(rng.NextDouble() * 0.2 - 0.1)).ToArray()).ToArray();
            var proc = Process.GetCurrentProcess();
            // Median wall and process CPU seconds; CPU time shows the work done when other jobs share the cores.
            (double Wall, double Cpu) Median(Action once)
            {
                once(); // warm-up: JIT, buffers, page faults
                var wall = new List<double>();
                var cpu = new List<double>();
                for (int i = 0; i < n; i++)
                {
                    proc.Refresh();
                    var c0 = proc.TotalProcessorTime;
                    var sw = Stopwatch.StartNew();
                    once();
                    wall.Add(sw.Elapsed.TotalSeconds);
                    proc.Refresh();
                    cpu.Add((proc.TotalProcessorTime - c0).TotalSeconds);
                }
                wall.Sort();
                cpu.Sort();
                return (wall[n / 2], cpu[n / 2]);
            }
            var single = Median(() => model.Encode(clips[0]));
            var batched = Median(() => model.EncodeBatch(clips));
            double rtf = Math.Round(s / single.Wall, 2), rtfBatch = Math.Round(b * s / batched.Wall, 2);
            if (!r.GetValue(json))
                Console.WriteLine($"SpeechTokenizer encode, {t} thread(s), {s} s clips: 1 clip {single.Wall:F3} s (RTF {rtf}, CPU {single.Cpu:F3} s), " +
                    $"{b} clips {batched.Wall:F3} s (RTF {rtfBatch}, CPU {batched.Cpu:F3} s)");
            var result = new Dictionary<string, double>
            {
                ["rtf"] = rtf, [$"rtf_batch{b}"] = rtfBatch, ["threads"] = t,
                ["cpu_rtf"] = Math.Round(s / single.Cpu, 2), [$"cpu_rtf_batch{b}"] = Math.Round(b * s / batched.Cpu, 2),
            };
            Console.WriteLine(JsonSerializer.Serialize(result));
            return 0;
        }));
        return cmd;
    }
}
