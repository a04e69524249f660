using System.Security.Cryptography;
using System.Text.Json.Nodes;
using SpeechTok.IO;
using SpeechTok.Tensors;
using SpeechTok.Tests.Conformance;
using SpeechTok.Training;

namespace SpeechTok.Tests.Training;

/// <summary>
/// The built-in LM that ships in models/builtin-lm: it is the folder <c>--model builtin</c> resolves to, its weights
/// are the recorded ones, and the command that made it (scripts/build-builtin-lm.sh) reproduces its first steps bit
/// for bit.
/// </summary>
public sealed class BuiltinLmTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "speechtok-builtin-" + Guid.NewGuid().ToString("N")[..8]);
    private static string Shipped => Path.Combine(FixtureRoot.RepoRoot, "models", BuiltinLm.FolderName);
    private static string Corpus => Path.Combine(FixtureRoot.RepoRoot, ".cache", "corpora", "sotu");

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, true);
    }

    private static string Sha256(string path)
    {
        using var f = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(f)).ToLowerInvariant();
    }

    [Fact]
    public void Builtin_resolves_to_the_shipped_pretrained_folder()
    {
        string dir = ModelResolver.Resolve(ModelResolver.Builtin);
        Assert.Equal(BuiltinLm.ExpectedFolder, dir);
        Assert.Equal(BuiltinLm.ModelSha256, Sha256(Path.Combine(Shipped, "model.safetensors")));
        foreach (var f in new[] { "config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "generation_config.json", "training_metrics.json", "README.md" })
            Assert.Equal(File.ReadAllBytes(Path.Combine(Shipped, f)), File.ReadAllBytes(Path.Combine(dir, f)));
        using var lm = CausalLmFolder.Open(dir);
        Assert.Equal(8192, lm.Config.VocabSize);
        var ids = lm.Tokenizer.EncodeWithBos("The State of the Union is strong.");
        Assert.True(ids.Length <= 10, $"a BPE learned on the addresses spells common words in few tokens, got {ids.Length}");
        // Every weight was trained: the layers are no longer their N(0, 0.02²) start.
        var w = lm.Model.Model.Weights.Layers[0].QProj.ReadOnlySpan;
        double sq = 0;
        foreach (float x in w) sq += x * x;
        Assert.True(Math.Sqrt(sq / w.Length) > 0.03, $"q_proj of layer 0 has rms {Math.Sqrt(sq / w.Length):F4}, as if untrained");
    }

    /// <summary>The shipped run's files read as the typed records lm train writes, and write back byte for byte.</summary>
    [Fact]
    public void Shipped_training_files_read_as_typed_records_and_write_back_unchanged()
    {
        string summary = Path.Combine(Shipped, LmTrainer.SummaryFile), copy = Path.Combine(_dir, LmTrainer.SummaryFile);
        var read = LmTrainingSummary.Load(summary);
        Assert.Equal(1500, read.Steps);
        Assert.Equal(16, read.EvalCurve.Count);
        read.Save(copy);
        Assert.Equal(File.ReadAllBytes(summary), File.ReadAllBytes(copy));
        foreach (var line in File.ReadLines(Path.Combine(Shipped, LmTrainer.MetricsFile)))
            Assert.Equal(line, LmMetricsLine.Parse(line).ToJson());
        Assert.Equal(read.Corpus.TrainSha256, ArtifactJson.Load<LmRun>(Path.Combine(Shipped, LmTrainer.RunFile), LmRun.Kind).TrainSha256);
    }

    [Fact]
    public void Held_out_bits_per_byte_recorded_with_the_model_are_its_own()
    {
        var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(Shipped, LmTrainer.SummaryFile)))!;
        double recorded = summary["held_out"]!["bits_per_byte"]!.GetValue<double>();
        var (_, valid) = TextCorpus.SplitByYear(TextCorpus.Load([Corpus]), 2017);
        using var lm = CausalLmFolder.Open(ModelResolver.Resolve(ModelResolver.Builtin));
        var r = LmEvaluation.Evaluate(lm.Model, lm.Pack(valid.Select(d => d.Text).ToList()), lm.Config.MaxPositionEmbeddings, 8);
        Assert.Equal(recorded, r.BitsPerByte, 6);
        Assert.True(r.BitsPerByte <= 1.80, $"held-out bits per byte {r.BitsPerByte:F4}");
    }

    [Fact]
    public void Build_command_reproduces_the_first_steps_bit_for_bit()
    {
        var run = ArtifactJson.Load<LmRun>(Path.Combine(Shipped, LmTrainer.RunFile), LmRun.Kind);
        var (train, valid) = TextCorpus.SplitByYear(TextCorpus.Load([Corpus]), 2017);
        Assert.Equal(run.TrainSha256, TextCorpus.Sha256(train));
        const int steps = 2;
        Assert.Throws<OperationCanceledException>(() => LmTrainer.Run(
            new LmTrainSpec { Train = train, Valid = valid, Out = _dir, Options = run.Options },
            afterStep: s => { if (s == steps) throw new OperationCanceledException(); }));
        Assert.Equal(File.ReadAllBytes(Path.Combine(Shipped, "tokenizer.json")), File.ReadAllBytes(Path.Combine(_dir, "tokenizer.json")));
        static List<string> Lines(string dir, int upTo) => File.ReadLines(Path.Combine(dir, LmTrainer.MetricsFile))
            .Select(l => JsonNode.Parse(l)!.AsObject())
            .Where(o => o["step"] is { } s && s.GetValue<long>() <= upTo)
            .Select(o => { o.Remove("seconds"); return o.ToJsonString(); }).ToList();
        var expected = Lines(Shipped, steps);
        Assert.Equal(steps + 2, expected.Count); // the tokenizer line, the step-0 evaluation and two training steps
        var actual = Lines(_dir, steps);
        Assert.Equal("avx512", run.Kernels); // the machine that built the shipped model
        if (run.Kernels == KernelPath.Name)
        {
            Assert.Equal(expected, actual);
            return;
        }
        // Other kernels (an AVX2-only machine) round differently: the same lines, numbers equal to rounding.
        Assert.Equal(expected.Count, actual.Count);
        foreach (var (e, a) in expected.Zip(actual))
        {
            var (eo, ao) = (JsonNode.Parse(e)!.AsObject(), JsonNode.Parse(a)!.AsObject());
            Assert.Equal(eo.Select(p => p.Key), ao.Select(p => p.Key));
            foreach (var (key, ev) in eo)
            {
                var av = ao[key];
                if (ev is JsonValue v && v.TryGetValue(out double x))
                {
                    double y = av!.GetValue<double>();
                    Assert.True(Math.Abs(x - y) <= 1e-6 * Math.Max(1, Math.Abs(x)), $"{key}: {y} here ({KernelPath.Name}), {x} recorded ({run.Kernels})\n{a}\n{e}");
                }
                else Assert.Equal(ev?.ToJsonString(), av?.ToJsonString());
            }
        }
    }
}
