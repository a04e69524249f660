using System.CommandLine;
using SpeechTok.Evaluation;
using SpeechTok.Training;

namespace SpeechTok.Cli.Commands;

internal static class EvaluateCommand
{
    public static Command Build()
    {
        var run = new Option<string>("--run") { Description = "Run folder written by `speechtok finetune`.", Required = true };
        var split = new Option<string>("--split") { Description = "The split to evaluate.", DefaultValueFactory = _ => "test" }.OneOf(SpeechTok.Audio.Manifest.SplitNames);
        // Evaluate mostly reads stored predictions, but a seed whose adapter changed is predicted again by the model (GEMMs on these threads).
        var threads = CliLists.Threads("Threads for a seed predicted again (its adapter changed since fine-tuning), one per core by default.");
        var cmd = new Command("evaluate", "Per-seed metrics, mean ± std, probability-averaging and majority-vote bagging → RUN/results.json.") { run, split, threads };
        cmd.SetAction(r =>
        {
            Tensors.Threading.Threads = r.GetValue(threads);
            var entry = RunEvaluation.Evaluate(r.GetValue(run)!, r.GetValue(split)!, Console.Error.WriteLine);
            Console.WriteLine($"{entry.System} ({entry.Split}): macro-F1 {entry.MacroF1:F4}" + (entry.MacroF1Std is double sd ? $" ± {sd:F4}" : "")
                + $", bagged {entry.MacroF1Bagged:F4}, vote {entry.MacroF1Vote:F4}, all labels {entry.MacroF1AllLabels:F4}"
                + (entry.F1Class1 is double f1 ? $", F1 class 1 {f1:F4}" : "") + (entry.MicroF1 is double mi ? $", micro-F1 {mi:F4}" : "")
                + $", {(entry.MicroF1 != null ? "subset accuracy" : "accuracy")} {entry.Accuracy:F4} → {Path.Combine(r.GetValue(run)!, ExperimentResults.FileName)}");
            return 0;
        });
        return cmd;
    }
}
