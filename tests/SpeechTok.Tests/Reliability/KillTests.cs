using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SpeechTok.Codec.Builtin;
using SpeechTok.IO;
using SpeechTok.Codec.Store;
using SpeechTok.Tensors.IO;
using SpeechTok.Tests.Audio;
using SpeechTok.Tests.Conformance;
using SpeechTok.Tests.Fuzz;
using SpeechTok.Tests.Training;
using Xunit.Abstractions;

namespace SpeechTok.Tests.Reliability;

/// <summary>The inputs every kill test shares: the toy task (manifest, codes, selection), its tiny built-in LM, and a small built-in speech tokenizer.</summary>
public sealed class KillInputs : IDisposable
{
    internal ToyData Data { get; } = new();
    public string Model { get; }
    public string SpeechTokenizer { get; }

    public KillInputs()
    {
        Model = Data.Model();
        SpeechTokenizer = Path.Combine(Data.Dir, "speech-tokenizer");
        BuiltinTokenizer.Fit(EspeakCorpus.Manifest(), new BuiltinFitOptions { Seed = 3, CodebookSize = 32, MaxIterations = 5 }).Save(SpeechTokenizer);
    }

    public void Dispose() => Data.Dispose();
}

/// <summary>
/// kill -9 on the long-running commands, run as real child processes of the built CLI with small
/// configurations: each is run once uninterrupted, then, for 5 seeded random points in its run time, started
/// in a fresh folder, killed with SIGKILL at that point, checked, and rerun to completion. After every kill no
/// file under a final name may be partial: JSON parses, safetensors open and read in full, the code store
/// opens; only the temp names of <see cref="AtomicFile"/> and <see cref="Training.AtomicFolder.Replace"/>
/// may hold partial content, and the two append-only logs (codes.bin, metrics.jsonl) may end in a torn
/// record that their reader detects and cuts. After the rerun, every final file equals the uninterrupted
/// run's byte for byte; the only exception is lm train's wall-clock fields (<c>seconds</c>, <c>wall_seconds</c>
/// and the README's "N s wall time"), which differ between any two runs and are masked before comparing.
/// </summary>
[Trait("Category", "Kill")]
public sealed class KillTests(KillInputs inputs, ITestOutputHelper output, FuzzLog log) : IClassFixture<KillInputs>, IClassFixture<FuzzLog>
{
    private const int Kills = 5;

    /// <summary>AtomicFile's temp names (".NAME.PID.GUID.tmp") and ReplaceFolder's staging folders.</summary>
    private static readonly Regex TempName = new(@"^\..+\.\d+\.[0-9a-f]{32}\.tmp$|\.(new|old)$", RegexOptions.CultureInvariant);

    private static string SotuSample => Path.Combine(FixtureRoot.RepoRoot, "tests", "data", "sotu-sample");

    [Fact]
    public void Tokenize() => Check("tokenize", 131, o =>
        ["tokenize", "--manifest", EspeakCorpus.ManifestPath, "--tokenizer", inputs.SpeechTokenizer, "--out", o, "--jsonl", Path.Combine(o, "codes.jsonl"), "--threads", "1"]);

    [Fact]
    public void Pretrain() => Check("pretrain", 132, o =>
        ["pretrain", "--manifest", inputs.Data.Manifest, "--codes", inputs.Data.Codes, "--selection", inputs.Data.Selection, "--model", inputs.Model,
         "--out", o, "--epochs", "10", "--batch-size", "4", "--accumulation", "2", "--evals-per-epoch", "2"]);

    [Fact]
    public void Finetune() => Check("finetune", 133, o =>
        ["finetune", "--manifest", inputs.Data.Manifest, "--codes", inputs.Data.Codes, "--selection", inputs.Data.Selection, "--no-pretrain",
         "--model", inputs.Model, "--out", o, "--epochs", "3", "--batch-size", "8", "--lora-r", "4", "--seeds", "1,2"]);

    [Fact]
    public void LmTrain() => Check("lm train", 134, o =>
        ["lm", "train", "--train", SotuSample, "--valid-from-year", "1900", "--out", o, "--vocab-size", "300", "--hidden", "32", "--layers", "2",
         "--heads", "2", "--kv-heads", "1", "--intermediate", "64", "--seq-len", "32", "--batch-size", "4", "--max-tokens", "3000",
         "--warmup-steps", "2", "--eval-every", "6", "--checkpoint-every", "3", "--threads", "1"]);

    private void Check(string name, int seed, Func<string, string[]> args)
    {
        var root = Directory.CreateTempSubdirectory($"speechtok-kill-{name.Replace(' ', '-')}-").FullName;
        try
        {
            // one output path for every run: outputs may record it (lm train's README and training_run.json do)
            string dir = Path.Combine(root, "out");
            bool Started() => Directory.Exists(dir) && Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Any();
            // The kill clock starts when the command writes its first file: the runtime's start-up is not the test.
            var clock = Stopwatch.StartNew();
            double started = -1;
            var first = Run(args(dir), () =>
            {
                if (started < 0 && Started()) started = clock.Elapsed.TotalSeconds;
                return false;
            });
            double seconds = clock.Elapsed.TotalSeconds, work = seconds - Math.Max(0, started);
            Assert.True(first.Code == 0, $"{name}: uninterrupted run failed ({first.Code}): {first.Err}");
            var expected = FinalFiles(dir);

            var rng = new Random(seed);
            int kills = 0, attempts = 0, staged = 0;
            var points = new List<string>();
            while (kills < Kills)
            {
                Assert.True(++attempts <= 4 * Kills, $"{name}: only {kills} of {attempts} runs could be killed before they finished");
                Directory.Delete(dir, true);
                double delay = work * rng.NextDouble();
                Stopwatch? since = null;
                bool killed = Run(args(dir), () =>
                {
                    if (since == null && Started()) since = Stopwatch.StartNew();
                    return since != null && since.Elapsed.TotalSeconds >= delay;
                }).Killed;
                if (killed)
                {
                    kills++;
                    points.Add($"{delay:F2} s");
                    staged += CheckNoPartialFiles(dir, $"{name} killed {delay:F2} s after its first file");
                }
                else work *= 0.6; // this run was faster than the first: draw later points from a shorter span
                var rerun = Run(args(dir), null);
                Assert.True(rerun.Code == 0, $"{name}: rerun after a kill {delay:F2} s after the first file failed ({rerun.Code}): {rerun.Err}");
                var actual = FinalFiles(dir);
                Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
                foreach (var (file, bytes) in expected)
                    Assert.True(bytes.AsSpan().SequenceEqual(actual[file]), $"{name}: {file} differs from the uninterrupted run's after a kill {delay:F2} s after the first file");
            }
            log.Report(output, $"kill -9 {name}: uninterrupted {seconds:F1} s (first file at {started:F1} s); killed at {string.Join(", ", points)} after the first file; " +
                $"no partial file under a final name after any kill ({staged} temp or staging entries left, never read); " +
                $"each rerun's {expected.Count} final files equal the uninterrupted run's");
        }
        finally
        {
            try { Directory.Delete(root, true); } catch (IOException) { }
        }
    }

    private static (int Code, string Err, bool Killed) Run(string[] args, Func<bool>? killWhen)
    {
        var (code, _, err, killed) = CliRunner.Run(killWhen, args);
        return (code, err, killed);
    }

    /// <summary>Every file under a final name (not a temp name, not inside a staging folder), with wall-clock fields masked.</summary>
    private static Dictionary<string, byte[]> FinalFiles(string dir) =>
        Files(dir).ToDictionary(f => Path.GetRelativePath(dir, f), f => Masked(f));

    private static IEnumerable<string> Files(string dir) =>
        Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)
            .Where(f => !Path.GetRelativePath(dir, f).Split(Path.DirectorySeparatorChar).Any(part => TempName.IsMatch(part)));

    private static readonly Regex WallTime = new(@"[\d.]+ s wall time", RegexOptions.CultureInvariant);

    private static byte[] Masked(string path)
    {
        var bytes = File.ReadAllBytes(path);
        string name = Path.GetFileName(path);
        if (name is "metrics.jsonl" or "training_metrics.json" or "state.json")
        {
            var text = System.Text.Encoding.UTF8.GetString(bytes);
            var docs = name == "metrics.jsonl" ? text.Split('\n') : [text];
            return System.Text.Encoding.UTF8.GetBytes(string.Join('\n', docs.Select(d =>
            {
                if (d.Trim().Length == 0) return d;
                var node = JsonNode.Parse(d)!;
                Drop(node);
                return node.ToJsonString();
            })));
        }
        if (name == "README.md") return System.Text.Encoding.UTF8.GetBytes(WallTime.Replace(System.Text.Encoding.UTF8.GetString(bytes), "N s wall time"));
        return bytes;
    }

    private static void Drop(JsonNode node)
    {
        if (node is JsonObject o)
        {
            o.Remove("seconds");
            o.Remove("wall_seconds");
            foreach (var (_, v) in o) if (v != null) Drop(v);
        }
        else if (node is JsonArray a) foreach (var v in a) if (v != null) Drop(v);
    }

    /// <summary>
    /// After a kill: every file under a final name is complete (or, for an append-only log, a valid prefix its
    /// reader repairs). Returns how many temp files and staging folders the kill left.
    /// </summary>
    private static int CheckNoPartialFiles(string dir, string what)
    {
        if (!Directory.Exists(dir)) return 0;
        foreach (var f in Files(dir))
        {
            string rel = Path.GetRelativePath(dir, f), name = Path.GetFileName(f);
            try
            {
                switch (name)
                {
                    case CodeStore.DataFile:
                        using (var s = CodeStore.Open(Path.GetDirectoryName(f)!)) foreach (var k in s.Keys) s.Get(k);
                        break;
                    case "metrics.jsonl":
                        var lines = File.ReadAllText(f).Split('\n');
                        foreach (var l in lines[..^1]) JsonNode.Parse(l); // only the last line may be torn
                        break;
                    case var _ when name.EndsWith(".json", StringComparison.Ordinal) || name.EndsWith(".jsonl", StringComparison.Ordinal):
                        foreach (var l in name.EndsWith(".jsonl", StringComparison.Ordinal) ? File.ReadAllLines(f) : [File.ReadAllText(f)])
                            JsonNode.Parse(l);
                        break;
                    case var _ when name.EndsWith(".safetensors", StringComparison.Ordinal):
                        using (var st = SafeTensors.Open(f))
                            foreach (var n in st.Names) using (var t = st.Get(n)) t.ToF32();
                        break;
                    case "README.md":
                        Assert.EndsWith("\n", File.ReadAllText(f));
                        break;
                    case FolderLock.FileName: // empty: only its lock carries meaning, and the system releases that of a killed process
                        Assert.Equal(0, new FileInfo(f).Length);
                        break;
                    default:
                        Assert.Fail($"{what}: {rel} is a file this test does not know how to check");
                        break;
                }
            }
            catch (Exception e) when (e is JsonException or SpeechTokException or IOException)
            {
                Assert.Fail($"{what}: {rel} is partial or corrupt under its final name ({e.Message})");
            }
        }
        return Directory.EnumerateFileSystemEntries(dir, "*", SearchOption.AllDirectories).Count(e => TempName.IsMatch(Path.GetFileName(e)));
    }
}
