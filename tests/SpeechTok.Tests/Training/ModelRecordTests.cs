using System.Text.Json.Nodes;
using SpeechTok.Tests.Conformance;
using SpeechTok.Training;

namespace SpeechTok.Tests.Training;

/// <summary>What run.json and pretrain.json record about the model, and what readers check against it.</summary>
public sealed class ModelRecordTests
{
    /// <summary>The built-in LM is recorded by name and weights hash, not by the install path, which moves with the program.</summary>
    [Fact]
    public void The_builtin_lm_is_recorded_by_name_and_checked_by_hash()
    {
        Assert.Equal(ModelResolver.Builtin, ModelResolver.Reference(BuiltinLm.ExpectedFolder));
        Assert.Equal(ModelResolver.Builtin, ModelResolver.Reference(BuiltinLm.ExpectedFolder + Path.DirectorySeparatorChar));
        Assert.Equal(Path.GetFullPath("some/model"), ModelResolver.Reference("some/model"));
        Assert.Equal(Path.GetFullPath("some/model"), ModelResolver.Reference("some/model/"));
        // the repository's models/builtin-lm (or any copy) has the same weights: the same model
        Assert.Equal(ModelResolver.Builtin, ModelResolver.Reference(Path.Combine(FixtureRoot.RepoRoot, "models", BuiltinLm.FolderName)));
        Assert.Equal(BuiltinLm.ModelSha256, ModelResolver.BuiltinSha256(ModelResolver.Builtin));
        Assert.Null(ModelResolver.BuiltinSha256("/models/x"));

        Assert.Equal(BuiltinLm.Folder, ModelResolver.ResolveRecorded(ModelResolver.Builtin, BuiltinLm.ModelSha256, "run.json"));
        var e = Assert.Throws<SpeechTokException>(() => ModelResolver.ResolveRecorded(ModelResolver.Builtin, new string('0', 64), "r/run.json"));
        Assert.StartsWith("r/run.json: made on the built-in LM with sha256 000000000000…, but this build ships", e.Message);
        Assert.Equal("/models/x", ModelResolver.ResolveRecorded("/models/x", null, "run.json"));
    }

    /// <summary>A run on the built-in LM records it by name, so predict works wherever the program is; a run made on other built-in weights is refused.</summary>
    [Fact]
    public void A_run_on_the_builtin_lm_records_it_by_name()
    {
        using var d = new ToyData(perSplit: 8);
        string run = Path.Combine(d.Dir, "run");
        FinetuneRun.Run(new FinetuneSpec { Manifest = d.Parsed(), Model = ModelResolver.Resolve(ModelResolver.Builtin), Out = run, TextOnly = true,
            Options = TrainingTests.Small(1) with { Epochs = 1 } });
        string file = Path.Combine(run, RunFile.FileName);
        var meta = RunFile.Load(file);
        Assert.Equal(ModelResolver.Builtin, meta.Model);
        Assert.Equal(BuiltinLm.ModelSha256, meta.BuiltinLmSha256);
        string preds = Path.Combine(d.Dir, "test.jsonl");
        Assert.Equal(8, RunEvaluation.PredictSplit(run, d.Parsed(), "test", preds));

        (meta with { BuiltinLmSha256 = new string('1', 64) }).Save(file);
        var e = Assert.Throws<SpeechTokException>(() => RunEvaluation.PredictSplit(run, d.Parsed(), "test", preds));
        Assert.StartsWith($"{file}: made on the built-in LM with sha256 111111111111…", e.Message);
    }

    /// <summary>
    /// Records made before manifest_sha256 and builtin_lm_sha256 existed still resume; a model path with a trailing
    /// separator is the same model.
    /// </summary>
    [Fact]
    public void Older_records_and_trailing_separators_still_match()
    {
        using var d = new ToyData(perSplit: 8);
        string model = d.Model(), run = Path.Combine(d.Dir, "run"), pre = Path.Combine(d.Dir, "pre");
        new PretrainSpec { Manifest = d.Parsed(), Codes = d.Codes, Selection = d.Selection, Model = model + Path.DirectorySeparatorChar, Out = pre,
            Options = new PretrainOptions { Epochs = 1, BatchSize = 4, Accumulation = 1 } }.Run();
        Assert.Equal(Path.GetFullPath(model), PretrainFile.Load(Path.Combine(pre, PretrainFile.FileName)).Model);
        var spec = new FinetuneSpec { Manifest = d.Parsed(), Codes = d.Codes + Path.DirectorySeparatorChar, Selection = d.Selection, Pretrained = pre + Path.DirectorySeparatorChar,
            Model = model, Out = run, Options = TrainingTests.Small(1) with { Epochs = 1 } };
        FinetuneRun.Run(spec);
        FinetuneRun.Run(spec with { Codes = d.Codes, Pretrained = pre }); // the same folders without the separator: nothing to do

        foreach (var (file, fields) in new[] { (Path.Combine(run, RunFile.FileName), new[] { "manifest_sha256", "builtin_lm_sha256" }),
                                                (Path.Combine(pre, PretrainFile.FileName), new[] { "manifest_sha256", "builtin_lm_sha256" }) })
        {
            var node = JsonNode.Parse(File.ReadAllText(file))!.AsObject();
            foreach (var f in fields) node.Remove(f);
            node["model"] = model + Path.DirectorySeparatorChar;
            File.WriteAllText(file, node.ToJsonString());
        }
        FinetuneRun.Run(spec); // finished: nothing to do, and no refusal
        new PretrainSpec { Manifest = d.Parsed(), Codes = d.Codes, Selection = d.Selection, Model = model, Out = pre,
            Options = new PretrainOptions { Epochs = 1, BatchSize = 4, Accumulation = 1 } }.Run();
        FinetuneRun.Run(spec with { Out = Path.Combine(d.Dir, "run2") });
    }

    /// <summary>Rows pre-trained on one model were accepted by a fine-tuning run of another of the same width.</summary>
    [Fact]
    public void Rows_pretrained_on_another_model_are_refused()
    {
        using var d = new ToyData();
        string model = d.Model(), other = Path.Combine(d.Dir, "other-lm"), pre = Path.Combine(d.Dir, "pre");
        TinyLm.Train(d.Parsed().Split("train").Select(s => s.Text + " again").ToList(), other);
        new PretrainSpec { Manifest = d.Parsed(), Codes = d.Codes, Selection = d.Selection, Model = model, Out = pre,
            Options = new PretrainOptions { Epochs = 1, BatchSize = 4, Accumulation = 1 } }.Run();
        Assert.Equal(Path.GetFullPath(model), PretrainFile.Load(Path.Combine(pre, PretrainFile.FileName)).Model);

        var spec = new FinetuneSpec { Manifest = d.Parsed(), Codes = d.Codes, Selection = d.Selection, Pretrained = pre, Model = other,
            Out = Path.Combine(d.Dir, "run"), Options = TrainingTests.Small(1) with { Epochs = 1 } };
        var e = Assert.Throws<SpeechTokException>(() => FinetuneRun.Run(spec));
        Assert.Equal($"{Path.Combine(pre, PretrainFile.FileName)}: the rows were pre-trained on model {Path.GetFullPath(model)}, this run uses {Path.GetFullPath(other)}; pre-train again on this model", e.Message);
        FinetuneRun.Run(spec with { Model = model });
        var run = RunFile.Load(Path.Combine(d.Dir, "run", RunFile.FileName));
        Assert.Equal(Path.GetFullPath(model), run.Model);
        Assert.Null(run.BuiltinLmSha256);
    }
}
