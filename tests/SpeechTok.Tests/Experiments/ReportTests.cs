using SpeechTok.Codec;
using SpeechTok.Evaluation;
using SpeechTok.Experiments.Report;

namespace SpeechTok.Tests.Experiments;

public sealed class ReportTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "speechtok-report-" + Guid.NewGuid().ToString("N"));

    public ReportTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static ExperimentResults Sample()
    {
        var lasso = SystemResult.FromSeeds("audio-lasso",
        [
            new SeedScore { Seed = 42, MacroF1 = 0.8, MacroF1AllLabels = 0.7 },
            new SeedScore { Seed = 100, MacroF1 = 0.9, MacroF1AllLabels = 0.75 },
            new SeedScore { Seed = 6, MacroF1 = 0.7, MacroF1AllLabels = 0.65 },
        ]) with { MacroF1Bagged = 0.85, MacroF1Vote = 0.84, SelectedTokens = 77, Seconds = 12.5, ConfusionMatrix = [[5, 1], [2, 6]] };
        var text = SystemResult.FromSeeds("text-only-llm", [new SeedScore { Seed = 42, MacroF1 = 0.5 }]);
        return new ExperimentResults { Manifest = "/data/m.csv", Task = "binary", ClassNames = ["no", "yes"], Systems = [text, lasso] };
    }

    [Fact]
    public void FromSeedsComputesMeanAndSampleStd()
    {
        var s = Sample().Find("audio-lasso")!;
        Assert.Equal(0.8, s.MacroF1, 12);
        Assert.Equal(0.1, s.MacroF1Std!.Value, 12); // ddof = 1: sqrt((0.01 + 0.01) / 2)
        Assert.Equal(0.7, s.MacroF1AllLabels!.Value, 12);
        Assert.Null(s.F1Class1); // not every seed has it
        Assert.Null(Sample().Find("text-only-llm")!.MacroF1Std); // one seed: no spread
        Assert.Throws<SpeechTokException>(() => SystemResult.FromSeeds("x", []));
    }

    [Fact]
    public void ResultsRoundTripWithSchemaFieldNames()
    {
        var path = Path.Combine(_dir, ExperimentResults.FileName);
        var r = Sample();
        r.Save(path);
        var json = File.ReadAllText(path);
        foreach (var field in new[] { "\"format_version\": 1", "\"manifest\"", "\"task\": \"binary\"", "\"systems\"", "\"system\": \"audio-lasso\"", "\"split\": \"test\"",
                     "\"macro_f1\"", "\"macro_f1_std\"", "\"macro_f1_bagged\"", "\"macro_f1_vote\"", "\"macro_f1_all_labels\"", "\"per_seed\"", "\"selected_tokens\": 77", "\"seed\": 100" })
            Assert.Contains(field, json);
        var back = ExperimentResults.Load(path);
        Assert.Equal(r.Manifest, back.Manifest);
        Assert.Equal(r.ClassNames, back.ClassNames);
        Assert.Equal(2, back.Systems.Count);
        var a = back.Find("audio-lasso")!;
        var b = r.Find("audio-lasso")!;
        Assert.Equal(b.PerSeed, a.PerSeed);
        Assert.Equal(b.MacroF1, a.MacroF1);
        Assert.Equal(b.MacroF1Std, a.MacroF1Std);
        Assert.Equal(b.MacroF1Vote, a.MacroF1Vote);
        Assert.Equal(b.SelectedTokens, a.SelectedTokens);
        Assert.Equal(b.ConfusionMatrix, a.ConfusionMatrix);
        Assert.Single(Directory.GetFiles(_dir)); // no temp file left behind
    }

    [Fact]
    public void UpsertReplacesASystemAndKeepsTheOthers()
    {
        var path = Path.Combine(_dir, ExperimentResults.FileName);
        ExperimentResults.Upsert(path, "/data/m.csv", null, "binary", SystemResult.FromSeeds("bow", [new SeedScore { MacroF1 = 0.4 }]));
        ExperimentResults.Upsert(path, "/data/m.csv", null, "binary", SystemResult.FromSeeds("mfcc", [new SeedScore { MacroF1 = 0.3 }]));
        var r = ExperimentResults.Upsert(path, "/data/m.csv", null, "binary", SystemResult.FromSeeds("bow", [new SeedScore { MacroF1 = 0.45 }]));
        Assert.Equal(["bow", "mfcc"], r.Systems.Select(s => s.System));
        Assert.Equal(0.45, ExperimentResults.Load(path).Find("bow")!.MacroF1);
        var e = Assert.Throws<SpeechTokException>(() => ExperimentResults.Upsert(path, "/other.csv", null, "binary", SystemResult.FromSeeds("x", [new SeedScore { MacroF1 = 0.1 }])));
        Assert.Contains("another output folder", e.Message);
    }

    [Fact]
    public void UpsertRefusesResultsOfAnotherVersionOfTheManifest()
    {
        var path = Path.Combine(_dir, ExperimentResults.FileName);
        string a = new('a', 64), b = new('b', 64);
        ExperimentResults.Upsert(path, "/data/m.csv", a, "binary", SystemResult.FromSeeds("bow", [new SeedScore { MacroF1 = 0.4 }]));
        Assert.Equal(a, ExperimentResults.Load(path).ManifestSha256);
        var before = File.ReadAllBytes(path);
        var e = Assert.Throws<SpeechTokException>(() => ExperimentResults.Upsert(path, "/data/m.csv", b, "binary", SystemResult.FromSeeds("mfcc", [new SeedScore { MacroF1 = 0.3 }])));
        Assert.Equal($"{path}: holds results of /data/m.csv as it was then (manifest_sha256 {a}), but the manifest has changed since (sha256 now {b}); " +
            "results of two versions of one manifest are never mixed, so nothing was written. Use a new --out for the edited manifest (or restore the manifest to add to these results)", e.Message);
        Assert.Equal(before, File.ReadAllBytes(path));
        // A caller that does not know the hash (a run.json of an older build) is not compared, and keeps the file's.
        Assert.Equal(a, ExperimentResults.Upsert(path, "/data/m.csv", null, "binary", SystemResult.FromSeeds("mfcc", [new SeedScore { MacroF1 = 0.3 }])).ManifestSha256);
        Assert.Equal(["bow", "mfcc"], ExperimentResults.Load(path).Systems.Select(s => s.System));
        // A malformed hash in the file is an error naming it.
        File.WriteAllText(path, File.ReadAllText(path).Replace(a, "xyz"));
        Assert.Contains("'manifest_sha256' is 'xyz', expected 64 lowercase hex digits", Assert.Throws<SpeechTokException>(() => ExperimentResults.Load(path)).Message);
    }

    [Theory]
    [InlineData("""{"manifest":"m","task":"binary","systems":[{"system":"a","macro_f1":0.5}]}""", "format_version")]
    [InlineData("""{"format_version":9,"manifest":"m","task":"binary","systems":[{"system":"a","macro_f1":0.5}]}""", "format_version 9")]
    [InlineData("""{"format_version":1,"manifest":"m","task":"regression","systems":[{"system":"a","macro_f1":0.5}]}""", "'task'")]
    [InlineData("""{"format_version":1,"manifest":"m","task":"binary","systems":[{"system":"a","macro_f1":1.5}]}""", "systems[0] ('a').macro_f1")]
    [InlineData("""{"format_version":1,"manifest":"m","task":"binary","systems":[{"system":"a"}]}""", "macro_f1")]
    [InlineData("""{"format_version":1,"manifest":"m","task":"binary","systems":[{"system":"a","macro_f1":0.5},{"system":"a","macro_f1":0.4}]}""", "duplicate")]
    [InlineData("""{"format_version":1,"manifest":"m","task":"binary","systems":[{"system":"a","macro_f1":0.5,"per_seed":[{"seed":1}]}]}""", "per_seed")]
    [InlineData("""{"format_version":1,"manifest":"m","task":"binary","systems":[]}""", "'systems' is empty")]
    [InlineData("""{"format_version":1,"manifest":"m","task":"binary","systems":[{"system":"a","macro_f1":0.5,"confusion_matrix":[[1,2],[3]]}]}""", "square")]
    [InlineData("""{"format_version":1,"manifest":"m",""", "invalid results JSON")]
    public void BadResultsFilesAreRejectedWithTheField(string json, string expected)
    {
        var path = Path.Combine(_dir, "bad.json");
        File.WriteAllText(path, json);
        var e = Assert.Throws<SpeechTokException>(() => ExperimentResults.Load(path));
        Assert.Contains(expected, e.Message);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void PerSeedMayBeBareNumbers()
    {
        var path = Path.Combine(_dir, "r.json");
        File.WriteAllText(path, """{"format_version":1,"manifest":"m","task":"multiclass","systems":[{"system":"bow","split":"test","macro_f1":0.44,"per_seed":[0.44]}]}""");
        Assert.Equal(0.44, ExperimentResults.Load(path).Systems[0].PerSeed.Single().MacroF1);
    }

    [Fact]
    public void WritingInvalidResultsFailsBeforeTouchingTheFile()
    {
        var path = Path.Combine(_dir, "r.json");
        var bad = Sample().With(new SystemResult { System = "nan", MacroF1 = double.NaN });
        Assert.Throws<SpeechTokException>(() => bad.Save(path));
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void ReportHasThePaperTableAndEverySection()
    {
        var tokens = TokenReport.Compute([1030], AudioFeatureLayout.Parse("1-8"),
            [new TokenReportSample("train/0", [[0, 0], [6, 6]], new FrameAcoustics([100, 0], [-20, -40], [500, 900], [true, false]), 1)]);
        var md = ReportWriter.Render(new ReportInput
        {
            Results = Sample(),
            Title = "Demo",
            Settings = [new("preset", "quick"), new("layers", "2-8")],
            Timings = [new("tokenize", 30), new("fine-tune | audio-lasso", 95), new("pre-train 2-8", 0.5, Attempts: 2), new("selection random", 0.5, Attempts: 1, Finished: false)],
            Truncations = [new("fine-tune train", 3, 336, 256)],
            Plots = [new("macro-F1 per system", "macro_f1.svg")],
            Tokens = tokens,
        });
        Assert.StartsWith("# Demo\n", md);
        Assert.Contains("| system | macro-F1 (mean ± std) | bagged | vote | all labels | F1 class 1 | selected tokens | seeds |", md);
        Assert.Contains("| audio-lasso | **0.800 ± 0.100** | 0.850 | 0.840 | 0.700 | – | 77 | 3 |", md);
        Assert.Contains("| text-only-llm | 0.500 | – | – | – | – | – | 1 |", md);
        Assert.Contains("| preset | quick |", md);
        Assert.Contains("| fine-tune \\| audio-lasso | 1 min 35 s |", md);
        Assert.Contains("| tokenize | 30.0 s |", md);
        Assert.Contains("| pre-train 2-8 (2 attempts) | 0.5 s |", md); // resumed after a killed run: both runs' seconds
        Assert.Contains("| selection random (unfinished) | 0.5 s |", md);
        Assert.Contains("| **total** | **2 min 06 s** |", md);
        Assert.Contains("| fine-tune train | 3 | 336 | 0.9% | 256 |", md);
        Assert.Contains("![macro-F1 per system](macro_f1.svg)", md);
        Assert.Contains("| **all frames** | – | – | 2 | 1 | 100 | -30.0 | 700 | 50% | yes (100%) |", md);
        Assert.Contains("| `<audio_token_0>` | RVQ-2 | 6 | 2 | 1 | 100 | -30.0 | 700 | 50% | yes (100%) |", md);

        var path = Path.Combine(_dir, ReportWriter.FileName);
        ReportWriter.Write(path, new ReportInput { Results = Sample() });
        Assert.Contains("## Results (test split)", File.ReadAllText(path));
    }

    [Fact]
    public void TokenReportAveragesTheFramesWhereEachTokenOccurs()
    {
        // Layers 2–8: feature 5 = RVQ-2 code 5; feature 1024 + 7 = RVQ-3 code 7.
        var codes = new[] { new[] { 9, 9, 9, 9 }, new[] { 5, 5, 1, 2 }, new[] { 0, 7, 7, 0 } };
        var frames = new FrameAcoustics([100, 200, 0, 300], [-10, -20, -30, -40], [1000, 2000, 3000, 4000], [true, true, false, true]);
        var other = new FrameAcoustics([150, 0], [-50, -60], [100, 200], [true, false]);
        var r = TokenReport.Compute([1031, 5], AudioFeatureLayout.Parse("2-8"),
        [
            new TokenReportSample("a", codes, frames, 0),
            new TokenReportSample("b", [[1, 1], [5, 3], [7, 0]], other, 1),
        ]);
        Assert.Equal(6, r.AllFrames.Count);
        Assert.Equal(2, r.AllFrames.Samples);
        Assert.Equal((100 + 200 + 300 + 150) / 4.0, r.AllFrames.MeanF0Hz, 9);
        var t5 = r.Tokens[0];
        Assert.Equal(("<audio_token_0>", 5, 2, 5), (t5.Token, t5.Feature, t5.Layer, t5.Code));
        Assert.Equal(3, t5.Count); // frames a0, a1, b0
        Assert.Equal(2, t5.Samples);
        Assert.Equal(150, t5.MeanF0Hz, 9);
        Assert.Equal(-80 / 3.0, t5.MeanEnergyDb, 9);
        Assert.Equal(1, t5.VoicedFraction);
        Assert.Equal(0, t5.TopClass);
        Assert.Equal(2 / 3.0, t5.TopClassShare, 9);
        var t7 = r.Tokens[1];
        Assert.Equal(("<audio_token_1>", 3, 7), (t7.Token, t7.Layer, t7.Code));
        Assert.Equal(3, t7.Count); // a1, a2, b0
        Assert.Equal((200 + 150) / 2.0, t7.MeanF0Hz, 9); // a2 unvoiced: not in the F0 mean
        Assert.Equal(2 / 3.0, t7.VoicedFraction, 9);
        Assert.Equal((2000 + 3000 + 100) / 3.0, t7.MeanCentroidHz, 9);
    }

    [Fact]
    public void TokenReportRejectsMismatchedInputs()
    {
        var f = new FrameAcoustics([1, 1], [1, 1], [1, 1], [true, true]);
        Assert.Contains("s1", Assert.Throws<SpeechTokException>(() =>
            TokenReport.Compute([2048], AudioFeatureLayout.Parse("1-8"), [new TokenReportSample("s1", [[0, 0], [0, 0]], f)])).Message); // needs 3 layers
        Assert.Contains("descriptor frames", Assert.Throws<SpeechTokException>(() =>
            TokenReport.Compute([0], AudioFeatureLayout.Parse("1-8"), [new TokenReportSample("s2", [new int[10]], f)])).Message);
        Assert.Contains("outside", Assert.Throws<SpeechTokException>(() =>
            TokenReport.Compute([0], AudioFeatureLayout.Parse("1-8"), [new TokenReportSample("s3", [[1024, 0]], f)])).Message);
        Assert.Contains("differ in length", Assert.Throws<SpeechTokException>(() =>
            TokenReport.Compute([0], AudioFeatureLayout.Parse("1-8"), [new TokenReportSample("s4", [[0, 0]], f with { Voiced = [true] })])).Message);
    }
}
