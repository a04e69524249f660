using System.Text.Json.Nodes;
using SpeechTok.Training;

namespace SpeechTok.Tests.Training;

/// <summary><c>predict --manifest</c>: the manifests it takes and the messages of those it refuses.</summary>
public sealed class PredictManifestTests
{
    private static List<JsonObject> Lines(string path) => [.. File.ReadAllLines(path).Select(l => JsonNode.Parse(l)!.AsObject())];

    /// <summary>Batch prediction refused a manifest without the label column, its main use being unlabelled data.</summary>
    [Fact]
    public void Unlabelled_manifests_are_predicted_without_labels_and_half_labelled_splits_are_refused()
    {
        using var d = new ToyData(perSplit: 8);
        string run = Path.Combine(d.Dir, "run");
        FinetuneRun.Run(new FinetuneSpec { Manifest = d.Parsed(), Model = d.Model(), Out = run, TextOnly = true, Options = TrainingTests.Small(1) with { Epochs = 1 } });
        string labelledOut = Path.Combine(d.Dir, "labelled.jsonl");
        Assert.Equal(0, CliRunner.Run("predict", "--run", run, "--manifest", d.Manifest, "--out", labelledOut).Code);
        var labelled = Lines(labelledOut);

        // The same rows without the label column: the same predictions, no labels.
        var rows = File.ReadAllLines(d.Manifest);
        string unlabelled = Path.Combine(d.Dir, "unlabelled.csv");
        File.WriteAllLines(unlabelled, rows.Select(r => r[..r.LastIndexOf(',')]));
        string outPath = Path.Combine(d.Dir, "unlabelled.jsonl");
        var (code, stdout, err) = CliRunner.Run("predict", "--run", run, "--manifest", unlabelled, "--out", outPath);
        Assert.True(code == 0, err);
        Assert.Equal($"8 predictions → {outPath}", stdout.Trim());
        var lines = Lines(outPath);
        Assert.Equal(labelled.Select(l => l["key"]!.ToJsonString() + l["probabilities"]!.ToJsonString()), lines.Select(l => l["key"]!.ToJsonString() + l["probabilities"]!.ToJsonString()));
        Assert.All(lines, l => Assert.False(l.ContainsKey("labels")));
        Assert.All(labelled, l => Assert.True(l.ContainsKey("labels")));

        // --split picks the rows of an unlabelled manifest too; empty label cells in one split leave the others labelled.
        Assert.Equal(0, CliRunner.Run("predict", "--run", run, "--manifest", unlabelled, "--split", "val", "--out", outPath).Code);
        Assert.Equal(Enumerable.Range(0, 8).Select(i => $"val/{i}"), Lines(outPath).Select(l => l["key"]!.GetValue<string>()));
        string emptyTest = Path.Combine(d.Dir, "empty-test.csv");
        File.WriteAllLines(emptyTest, rows.Select(r => r.StartsWith("test,", StringComparison.Ordinal) ? r[..(r.LastIndexOf(',') + 1)] : r));
        Assert.Equal(0, CliRunner.Run("predict", "--run", run, "--manifest", emptyTest, "--out", outPath).Code);
        Assert.All(Lines(outPath), l => Assert.False(l.ContainsKey("labels")));
        Assert.Equal(0, CliRunner.Run("predict", "--run", run, "--manifest", emptyTest, "--split", "val", "--out", outPath).Code);
        Assert.All(Lines(outPath), l => Assert.True(l.ContainsKey("labels")));

        // One empty cell in a labelled split is a mistake: refused, naming the line; nothing is written.
        string half = Path.Combine(d.Dir, "half.csv");
        File.WriteAllLines(half, rows.Select((r, i) => i == 19 ? r[..(r.LastIndexOf(',') + 1)] : r));
        File.Delete(outPath);
        (code, stdout, err) = CliRunner.Run("predict", "--run", run, "--manifest", half, "--out", outPath);
        Assert.Equal((2, ""), (code, stdout));
        Assert.Equal($"error: {half}:20: column 'label' is empty, but line 18 of split 'test' has a label; a split is predicted with the labels of all its samples or of none: "
            + "fill the cell, or empty every label cell of the split", err.Trim());
        Assert.False(File.Exists(outPath));

        // Training still needs every label.
        (code, _, err) = CliRunner.Run("finetune", "--manifest", unlabelled, "--text-only", "--model", d.Model(), "--out", Path.Combine(d.Dir, "r2"));
        Assert.Equal(2, code);
        Assert.Contains("required column 'label' (one class id) or 'labels'", err);
    }

    /// <summary>
    /// predict called a binary manifest "multiclass" (the run's class count made it so) beside a multi-label run, and a
    /// sidecar naming 3 classes beside a binary run "3 class names, but 2 classes were asked for".
    /// </summary>
    [Fact]
    public void A_manifest_of_another_kind_or_class_count_is_refused_naming_its_kind_and_the_runs_classes()
    {
        using var d = new ToyData(perSplit: 8);
        using var ml = new ToyData(perSplit: 8, multiLabel: true);
        var (run, mlRun) = (TextOnlyRun(d), TextOnlyRun(ml));
        string outPath = Path.Combine(d.Dir, "p.jsonl");
        string Refusal(string r, string manifest)
        {
            var (code, stdout, err) = CliRunner.Run("predict", "--run", r, "--manifest", manifest, "--out", outPath);
            Assert.Equal((2, ""), (code, stdout));
            return err.Trim();
        }
        Assert.Equal($"error: {d.Manifest} has a 'label' column (single-label), but the run {mlRun} is multilabel (2 labels); "
            + "predict it with a single-label run, or drop the column to predict it unlabelled", Refusal(mlRun, d.Manifest));
        Assert.Equal($"error: {ml.Manifest} has a 'labels' column (multi-label), but the run {run} is binary (2 classes); "
            + "predict it with a multi-label run, or drop the column to predict it unlabelled", Refusal(run, ml.Manifest));
        string sidecar = SpeechTok.Audio.Manifest.LabelNamesPath(ml.Manifest);
        File.WriteAllLines(sidecar, ["joy", "fear", "anger"]);
        Assert.Equal($"error: {sidecar}: 3 class names, but {Path.Combine(run, RunFile.FileName)} num_labels is 2", Refusal(run, ml.Manifest));
        Assert.False(File.Exists(outPath));
    }

    /// <summary>The names a run was fine-tuned with are run.json's class_names: a sidecar edited or removed afterwards does
    /// not rename its predictions (they re-read the sidecar at every predict).</summary>
    [Fact]
    public void A_run_keeps_the_class_names_it_was_fine_tuned_with()
    {
        using var d = new ToyData(perSplit: 8);
        string sidecar = SpeechTok.Audio.Manifest.LabelNamesPath(d.Manifest);
        File.WriteAllLines(sidecar, ["calm", "excited"]);
        string run = TextOnlyRun(d);
        Assert.Equal(["calm", "excited"], RunFile.LoadFromRun(run).ClassNames);
        File.WriteAllLines(sidecar, ["low", "high"]);
        var (code, stdout, err) = CliRunner.Run("predict", "--run", run, "--text", "a beta");
        Assert.True(code == 0, err);
        var one = JsonNode.Parse(stdout)!.AsObject();
        Assert.Equal(new[] { "calm", "excited" }[one["prediction"]!.GetValue<int>()], one["predicted_label_name"]!.GetValue<string>());
        File.Delete(sidecar);
        Assert.Equal(["calm", "excited"], RunEvaluation.LabelNames(run, RunFile.LoadFromRun(run)));
    }

    /// <summary>
    /// predict printed class ids only, though the class names were known (the manifest's sidecar, as evaluate writes them
    /// into results.json); the names come next to the ids (label, predicted_label_names), which stay for machine readers.
    /// </summary>
    [Fact]
    public void Predictions_name_the_predicted_classes_when_the_names_are_known()
    {
        using var d = new ToyData(perSplit: 8);
        using var ml = new ToyData(perSplit: 8, multiLabel: true);
        var (run, mlRun) = (TextOnlyRun(d), TextOnlyRun(ml));
        JsonObject One(string r)
        {
            var (code, stdout, err) = CliRunner.Run("predict", "--run", r, "--text", "a beta");
            Assert.True(code == 0, err);
            return JsonNode.Parse(stdout)!.AsObject();
        }
        List<JsonObject> Batch(string r, string manifest)
        {
            string outPath = Path.Combine(d.Dir, "p.jsonl");
            var (code, _, err) = CliRunner.Run("predict", "--run", r, "--manifest", manifest, "--out", outPath);
            Assert.True(code == 0, err);
            return Lines(outPath);
        }

        // no names known: the output is as it was
        Assert.False(One(run).ContainsKey("label"));
        Assert.All(Batch(run, d.Manifest), l => Assert.False(l.ContainsKey("label")));

        // the names of the run's manifest's sidecar; the id stays
        string[] names = ["calm", "excited"];
        File.WriteAllLines(SpeechTok.Audio.Manifest.LabelNamesPath(d.Manifest), names);
        var one = One(run);
        Assert.Equal(names[one["prediction"]!.GetValue<int>()], one["predicted_label_name"]!.GetValue<string>());
        var lines = Batch(run, d.Manifest);
        Assert.All(lines, l => Assert.Equal(names[l["prediction"]!.GetValue<int>()], l["predicted_label_name"]!.GetValue<string>()));
        // the toy run may predict one class only: the name of the other, from the probabilities
        Assert.Equal("excited", SamplePrediction.Of(TaskKind.Binary, [0.2f, 0.8f], names).PredictedLabelName);

        // multi-label: the names of the predicted labels, in their order
        string[] mlNames = ["joy", "fear"];
        File.WriteAllLines(SpeechTok.Audio.Manifest.LabelNamesPath(ml.Manifest), mlNames);
        var mlOne = One(mlRun);
        Assert.Equal(mlOne["predicted_labels"]!.AsArray().Select(x => mlNames[x!.GetValue<int>()]), mlOne["predicted_label_names"]!.AsArray().Select(x => x!.GetValue<string>()));
        Assert.All(Batch(mlRun, ml.Manifest), l => Assert.Equal(l["predicted_labels"]!.AsArray().Select(x => mlNames[x!.GetValue<int>()]),
            l["predicted_label_names"]!.AsArray().Select(x => x!.GetValue<string>())));
    }

    /// <summary>
    /// predict --out wrote over its own input: <c>--out M.csv</c> replaced the manifest with JSON lines, <c>--out RUN/run.json</c>
    /// broke the run. Refused before the model loads, naming both paths; the same file under a link too.
    /// </summary>
    [Fact]
    public void An_out_that_is_an_input_of_predict_is_refused()
    {
        using var d = new ToyData(perSplit: 8);
        string run = TextOnlyRun(d);
        string manifestText = File.ReadAllText(d.Manifest), runJson = File.ReadAllText(Path.Combine(run, RunFile.FileName));
        string sidecar = SpeechTok.Audio.Manifest.LabelNamesPath(d.Manifest);
        File.WriteAllLines(sidecar, ["calm", "excited"]);
        string link = Path.Combine(d.Dir, "link.jsonl");
        File.CreateSymbolicLink(link, d.Manifest);
        string Refusal(string outPath)
        {
            var (code, stdout, err) = CliRunner.Run("predict", "--run", run, "--manifest", d.Manifest, "--out", outPath);
            Assert.Equal((2, ""), (code, stdout));
            return err.Trim();
        }
        Assert.Equal($"error: --out {d.Manifest} is the manifest {d.Manifest}: writing it would replace the input; give another file", Refusal(d.Manifest));
        Assert.Equal($"error: --out {link} is the manifest {d.Manifest}: writing it would replace the input; give another file", Refusal(link));
        Assert.Equal($"error: --out {sidecar} is the manifest's class-name file {sidecar}: writing it would replace the input; give another file", Refusal(sidecar));
        string inRun = Path.Combine(run, RunFile.FileName);
        Assert.Equal($"error: --out {inRun} is inside the run folder {run}: writing it would change the input; give a file outside it", Refusal(inRun));
        Assert.StartsWith($"error: --out {Path.Combine(run, "new.jsonl")} is inside the run folder {run}", Refusal(Path.Combine(run, "new.jsonl")));
        Assert.Equal(manifestText, File.ReadAllText(d.Manifest));
        Assert.Equal(runJson, File.ReadAllText(Path.Combine(run, RunFile.FileName)));
        // A sibling whose name starts as the run folder's is outside it.
        Assert.Equal(0, CliRunner.Run("predict", "--run", run, "--manifest", d.Manifest, "--out", run + "-predictions.jsonl").Code);
    }

    /// <summary>
    /// A manifest whose class-name file lists the run's classes in another order numbers its labels otherwise: predict wrote
    /// the manifest's labels beside the run's predicted ids and names, two numberings in one line. Refused, naming both lists.
    /// </summary>
    [Fact]
    public void A_manifest_whose_class_names_differ_from_the_runs_is_refused()
    {
        using var d = new ToyData(perSplit: 8);
        string sidecar = SpeechTok.Audio.Manifest.LabelNamesPath(d.Manifest);
        File.WriteAllLines(sidecar, ["calm", "excited"]);
        string run = TextOnlyRun(d);
        string outPath = Path.Combine(d.Dir, "p.jsonl");
        File.WriteAllLines(sidecar, ["excited", "calm"]);
        var (code, stdout, err) = CliRunner.Run("predict", "--run", run, "--manifest", d.Manifest, "--out", outPath);
        Assert.Equal((2, ""), (code, stdout));
        Assert.Equal($"error: {sidecar}: the manifest's classes are excited, calm, but the run's are calm, excited ({Path.Combine(run, RunFile.FileName)} class_names); "
            + "number the manifest's labels as the run does and list its names in that order, or remove the file to use the run's names", err.Trim());
        Assert.False(File.Exists(outPath));
        File.WriteAllLines(sidecar, ["calm", "excited"]);
        (code, _, err) = CliRunner.Run("predict", "--run", run, "--manifest", d.Manifest, "--out", outPath);
        Assert.True(code == 0, err);
    }

    /// <summary>A one-epoch text-only run of <paramref name="data"/>, in its folder's run/.</summary>
    private static string TextOnlyRun(ToyData data)
    {
        string run = Path.Combine(data.Dir, "run");
        FinetuneRun.Run(new FinetuneSpec { Manifest = data.Parsed(), Model = data.Model(), Out = run, TextOnly = true, Options = TrainingTests.Small(1) with { Epochs = 1 } });
        return run;
    }
}
