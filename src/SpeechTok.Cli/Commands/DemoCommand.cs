using System.CommandLine;
using System.Diagnostics;
using SpeechTok.Codec;
using SpeechTok.Experiments.Demo;
using SpeechTok.Experiments.Runner;
using SpeechTok.Training;
using SpeechTok.IO;

namespace SpeechTok.Cli.Commands;

/// <summary>`speechtok demo`: the built-in espeak-ng dataset, then `experiment --preset quick` with the built-in tokenizer and LM.</summary>
internal static class DemoCommand
{
    public static Command Build()
    {
        var defaults = new DemoOptions();
        var outDir = new Option<string>("--out") { Description = "Output folder: data/ (the dataset) and experiment/ (results). Rerun to resume.", DefaultValueFactory = _ => "runs/demo" };
        var threads = CliLists.Threads("Worker threads, one per core by default.");
        var seed = new Option<int>("--seed") { Description = "Dataset seed (other sentences and voice settings); a non-negative integer.", DefaultValueFactory = _ => defaults.Seed }.AtLeast(0);
        var labeling = new Option<DemoLabeling>("--labeling") { Description = "Quadrants (4 classes: arousal × polarity), Incongruent (binary: the voice contradicts the words) or MultiLabel (4 labels, any subset: negative words, high pitch, fast, loud).", DefaultValueFactory = _ => defaults.Labeling }.OneOf();
        var metric = CliLists.MetricForBestModelOption();
        var count = new Option<int>("--count") { Description = "Clips in the dataset (a multiple of 4, at least 24), split about 70/15/15 by sentence (val and test round up, so small counts give them more).", DefaultValueFactory = _ => defaults.Count };
        var maxLength = ExperimentCommand.MaxLengthOption();
        var cmd = new Command("demo", "Build the built-in espeak-ng speech dataset (label = words × voice) and run every system on it with the quick preset.") { outDir, threads, seed, labeling, count, metric, maxLength };
        cmd.SetAction(r =>
        {
            var sw = Stopwatch.StartNew();
            string root = OutputPaths.RequireFolder(r.GetValue(outDir)!, "demo writes a folder (data/, experiment/)");
            var options = new DemoOptions { Seed = r.GetValue(seed), Labeling = r.GetValue(labeling), Count = r.GetValue(count) };
            string data = Path.Combine(root, "data");
            var experiment = new ExperimentOptions
            {
                Manifest = Path.Combine(data, DemoDataset.ManifestFile), Out = Path.Combine(root, "experiment"), Model = ModelResolver.Builtin, Tokenizer = TokenizerLoader.Builtin,
                Preset = ExperimentPreset.Quick, Threads = r.GetValue(threads), MetricForBestModel = r.GetValue(metric), MaxLength = r.GetValue(maxLength),
            };
            // before the first line is printed, and before minutes of espeak-ng
            options.Validate();
            experiment.ResolvePreset(options.Task);
            Console.Error.WriteLine("building the demo dataset with espeak-ng …");
            var info = DemoDataset.Build(data, options);
            Console.Error.WriteLine($"{info.Clips} clips ({(info.Skipped ? "already built" : $"{info.GenerationSeconds:F0} s")}) → {info.ManifestPath}");
            var results = ExperimentRunner.Run(experiment with { Manifest = info.ManifestPath, ClassNames = info.ClassNames },
                Console.Error.WriteLine, ProgressPrinter.Stderr().Report);
            Console.WriteLine(ExperimentCommand.Table(results));
            Console.WriteLine($"report: {Path.Combine(root, "experiment", "report.md")} · total {sw.Elapsed.TotalMinutes:F1} min");
            return 0;
        });
        return cmd;
    }
}
