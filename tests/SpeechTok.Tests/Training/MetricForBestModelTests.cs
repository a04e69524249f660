using SpeechTok.Evaluation;
using SpeechTok.Experiments.Runner;
using SpeechTok.Training;

namespace SpeechTok.Tests.Training;

public sealed class MetricForBestModelTests
{
    private static readonly int[][] Balanced = [[0], [1], [0], [1], [0], [1]];
    private static readonly float[][] AlwaysOne = Enumerable.Repeat(new[] { 0.2f, 0.8f }, 6).ToArray();

    [Fact]
    public void Macro_f1_rates_the_constant_predictor_at_chance_where_f1_class_1_rates_it_at_two_thirds()
    {
        var byDefault = ClassificationMetrics.Compute(TaskKind.Binary, 2, Balanced, AlwaysOne);
        Assert.Equal(2 / 3.0, byDefault.Selection, 12); // precision ½, recall 1
        var macro = ClassificationMetrics.Compute(TaskKind.Binary, 2, Balanced, AlwaysOne, ClassificationMetrics.MacroF1Metric);
        Assert.Equal(1 / 3.0, macro.Selection, 12); // (0 + ⅔) / 2 over the labels in y_true ∪ y_pred
        Assert.Equal(byDefault.MacroF1, macro.MacroF1); // only the selection metric changes
        Assert.Equal(ClassificationMetrics.F1Class1Metric, ClassificationMetrics.SelectionName(TaskKind.Binary));
        Assert.Equal(ClassificationMetrics.MacroF1Metric, ClassificationMetrics.SelectionName(TaskKind.Multiclass));
        Assert.Equal(ClassificationMetrics.MacroF1Metric, ClassificationMetrics.SelectionName(TaskKind.Binary, "macro_f1"));
    }

    [Fact]
    public void Unknown_or_inapplicable_metrics_are_refused()
    {
        Assert.Contains("expected macro_f1 or f1_class_1", Assert.Throws<SpeechTokException>(() => ClassificationMetrics.ValidateSelection(TaskKind.Binary, "accuracy")).Message);
        Assert.Contains("needs a binary task; this one is multilabel", Assert.Throws<SpeechTokException>(() => ClassificationMetrics.ValidateSelection(TaskKind.Multilabel, "f1_class_1")).Message);
        Assert.Contains("needs a binary task", Assert.Throws<SpeechTokException>(() => ClassificationMetrics.Compute(TaskKind.Multiclass, 3, [[0]], [[1f, 0f, 0f]], "f1_class_1")).Message);
        using var ml = new ToyData(multiLabel: true);
        var spec = new FinetuneSpec
        {
            Manifest = ml.Parsed(), Model = "unused", Out = Path.Combine(ml.Dir, "run"), TextOnly = true,
            Options = TrainingTests.Small(1) with { MetricForBestModel = "f1_class_1" },
        };
        Assert.Contains("needs a binary task", Assert.Throws<SpeechTokException>(() => FinetuneRun.Run(spec)).Message);
        Assert.False(Directory.Exists(spec.Out)); // refused before anything is written
    }

    [Fact]
    public void The_cli_takes_hf_eval_prefixed_names_and_names_an_unknown_one_as_typed()
    {
        Assert.Equal("macro_f1", SpeechTok.Cli.Commands.CliLists.MetricName("eval_macro_f1"));
        Assert.Equal("f1_class_1", SpeechTok.Cli.Commands.CliLists.MetricName("eval_f1_class_1"));
        Assert.Equal("macro_f1", SpeechTok.Cli.Commands.CliLists.MetricName("macro_f1"));
        Assert.Equal("eval_accuracy", SpeechTok.Cli.Commands.CliLists.MetricName("eval_accuracy"));
        using var ml = new ToyData(multiLabel: true);
        string Refusal(string metric)
        {
            var (code, _, err) = CliRunner.Run("finetune", "--manifest", ml.Manifest, "--text-only", "--model", "unused",
                "--out", Path.Combine(ml.Dir, "run"), "--metric-for-best-model", metric);
            Assert.Equal(2, code); // a SpeechTokException: one line, no stack trace
            Assert.False(Directory.Exists(Path.Combine(ml.Dir, "run")));
            return err;
        }
        Assert.Contains("f1_class_1 needs a binary task", Refusal("eval_f1_class_1")); // the prefix is dropped before the check
        Assert.Contains("'eval_accuracy': expected macro_f1 or f1_class_1", Refusal("eval_accuracy"));
    }

    [Fact]
    public void Finetune_selects_by_the_chosen_metric_and_records_it_only_when_not_the_default()
    {
        using var d = new ToyData();
        string model = d.Model();
        string Run(string name, string? metric)
        {
            string run = Path.Combine(d.Dir, name);
            FinetuneRun.Run(new FinetuneSpec
            {
                Manifest = d.Parsed(), Model = model, Out = run, TextOnly = true,
                Options = TrainingTests.Small(1) with { Epochs = 3, MetricForBestModel = metric },
            });
            return run;
        }
        foreach (var (name, metric, recorded, used) in new[]
        {
            ("default", (string?)null, (string?)null, "f1_class_1"),
            ("explicit-default", "f1_class_1", null, "f1_class_1"),
            ("macro", "macro_f1", "macro_f1", "macro_f1"),
        })
        {
            string run = Run(name, metric);
            Assert.Equal(recorded, RunFile.Load(Path.Combine(run, RunFile.FileName)).Hyperparameters.MetricForBestModel);
            Assert.Equal(recorded != null, File.ReadAllText(Path.Combine(run, RunFile.FileName)).Contains("metric_for_best_model"));
            var curves = SeedCurves.Load(Path.Combine(FinetuneRun.SeedDir(run, 1), SeedCurves.FileName));
            Assert.Equal(used, curves.Metric);
            Assert.Equal(curves.Val.Max(p => p.Metric), curves.BestValMetric);
        }
        // The same training path: only the metric differs, and macro_f1 is the macro-F1 of y_true ∪ y_pred.
        var byF1 = SeedCurves.Load(Path.Combine(FinetuneRun.SeedDir(Path.Combine(d.Dir, "default"), 1), SeedCurves.FileName));
        var byMacro = SeedCurves.Load(Path.Combine(FinetuneRun.SeedDir(Path.Combine(d.Dir, "macro"), 1), SeedCurves.FileName));
        Assert.Equal(byF1.Val.Select(p => p.MacroF1), byMacro.Val.Select(p => p.MacroF1));
        Assert.Equal(byMacro.Val.Select(p => p.MacroF1), byMacro.Val.Select(p => p.Metric)); // val holds both labels, so y_true ∪ y_pred = y_true
    }

    [Fact]
    public void An_experiment_records_the_metric_only_when_set()
    {
        Assert.DoesNotContain(ExperimentPreset.Quick.Describe(), kv => kv.Key.Contains("metric_for_best_model"));
        Assert.Contains(new KeyValuePair<string, string>("fine-tuning metric_for_best_model", "macro_f1"),
            (ExperimentPreset.Quick with { MetricForBestModel = "macro_f1" }).Describe());
    }
}
