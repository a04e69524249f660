using System.CommandLine;
using SpeechTok.Training;

namespace SpeechTok.Cli.Commands;

internal static class EvaluateCommand
{
    public static Command Build()
    {
        var run = new Option<string>("--run") { Description = "Run folder written by `speechtok finetune`.", Required = true };
        var split = new Option<string>("--split") { DefaultValueFactory = _ => "test" };
        var cmd = new Command("evaluate", "Per-seed metrics, mean ± std, probability-averaging and majority-vote bagging → RUN/results.json.") { run, split };
        cmd.SetAction(r =>
        {
            var entry = Evaluation.Evaluate(r.GetValue(run)!, r.GetValue(split)!);
            Console.WriteLine(entry.ToJsonString());
            return 0;
        });
        return cmd;
    }
}
