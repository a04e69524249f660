using System.CommandLine;
using SpeechTok.Audio;
using SpeechTok.Experiments.Runner;
using SpeechTok.Selection;
using SpeechTok.IO;

namespace SpeechTok.Cli.Commands;

/// <summary>`speechtok baseline bow|mfcc|bow-mfcc`: classic baselines → DIR/results.json.</summary>
internal static class BaselineCommand
{
    public static Command Build()
    {
        var system = new Argument<string>("system") { Description = "bow (the text's word counts), mfcc (the clips' MFCC statistics) or bow-mfcc (both side by side)." }
            .OneOf(Baselines.Systems);
        var manifest = new Option<string>("--manifest") { Description = "Manifest CSV with train/val/test splits.", Required = true };
        var audioRoot = new Option<string?>("--audio-root") { Description = "Folder the clip paths are relative to (default: the manifest's folder)." };
        var grid = new Option<string?>("--grid") { Description = "Comma-separated C values to choose from on val (default 0.001,0.003,…,10)." };
        var output = new Option<string>("--out") { Description = "Output folder (results.json is created or updated).", Required = true };
        var numClasses = SelectCommand.NumLabelsOption();
        // As tokenize's: a comparison with audio systems whose codes were made with --mixdown reads the clips the same way.
        var mixdown = new Option<bool>("--mixdown") { Description = "Average all channels instead of taking channel 0 (mfcc, bow-mfcc)." };
        var threads = CliLists.Threads("Threads, one per core by default.");
        var cmd = new Command("baseline", "Run a classic baseline (L2 logistic regression, C chosen on val macro-F1).") { system, manifest, audioRoot, numClasses, grid, mixdown, output, threads };
        cmd.SetAction(pr =>
        {
            Tensors.Threading.Threads = pr.GetValue(threads);
            string outDir = OutputPaths.RequireFolder(pr.GetValue(output)!, "baseline writes results.json into a folder");
            // The experiment counts its own finished entries as done: a baseline of other settings written over one would
            // be reported as the experiment's.
            if (File.Exists(Path.Combine(outDir, ExperimentSettings.FileName)))
                throw new SpeechTokException($"--out {outDir} is an experiment's folder (it holds {ExperimentSettings.FileName}): baseline would replace the experiment's own "
                    + $"entry in its results.json; give another --out, or run `speechtok experiment --systems {pr.GetValue(system)}` into that folder");
            if (pr.GetValue(system) == "bow" && pr.GetResult(audioRoot) is { Implicit: false })
                throw new SpeechTokException("--audio-root is for the systems that read clips (mfcc, bow-mfcc); bow reads only the text");
            bool mix = pr.GetValue(mixdown);
            if (pr.GetValue(system) == "bow" && mix)
                throw new SpeechTokException("--mixdown is for the systems that read clips (mfcc, bow-mfcc); bow reads only the text");
            var m = Manifest.Load(pr.GetValue(manifest)!, pr.GetValue(audioRoot), pr.GetValue(numClasses), OptionRules.Given(pr, numClasses));
            var cs = CliLists.Cs(grid.Name, pr.GetValue(grid));
            Baselines.CheckResults(pr.GetValue(output)!, m);
            var result = Baselines.RecordMixdown(Baselines.Run(pr.GetValue(system)!, m, cs.Length > 0 ? cs : Baselines.DefaultGrid, Baselines.MfccFeaturesOf(mix), Console.Error.WriteLine), mix);
            var path = Baselines.WriteResults(pr.GetValue(output)!, m, result);
            Console.WriteLine($"{result.System}: test macro-F1 {result.MacroF1:F4} (present labels), {result.MacroF1AllLabels:F4} (all labels), C={BaselineDetails.Of(result).C} → {path}");
            return 0;
        });
        return cmd;
    }
}
