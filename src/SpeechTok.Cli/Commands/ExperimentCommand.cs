using System.CommandLine;
using SpeechTok.Codec;
using SpeechTok.Evaluation;
using SpeechTok.Experiments.Runner;
using SpeechTok.Lm.Serialization;
using SpeechTok.Training;

namespace SpeechTok.Cli.Commands;

/// <summary>`speechtok experiment`: every system of the paper on one manifest → results.json, report.md, plots.</summary>
internal static class ExperimentCommand
{
    public static Command Build()
    {
        var manifest = new Option<string>("--manifest") { Description = "Manifest CSV (split,text,audio_path_list,label) with train/val/test.", Required = true };
        var outDir = new Option<string>("--out") { Description = "Output folder (results.json, report.md, plots/, codes/, selection/, pretrain/, runs/). Rerun the same command to resume.", Required = true };
        var model = new Option<string>("--model") { Description = "Hugging Face Llama-family folder, or 'builtin' (the small LM pre-trained on the State of the Union addresses that ships with SpeechTok).", DefaultValueFactory = _ => ModelResolver.Builtin };
        var tokenizer = new Option<string>("--tokenizer") { Description = "SpeechTokenizer folder, or 'builtin' (k-means RVQ fitted on the train audio into OUT/codes/tokenizer).", DefaultValueFactory = _ => TokenizerLoader.Builtin };
        var preset = new Option<string>("--preset") { Description = PresetHelp(), DefaultValueFactory = _ => ExperimentPreset.Paper.Name }
            .OneOf(ExperimentPreset.Paper.Name, ExperimentPreset.Quick.Name);
        var seeds = new Option<string?>("--seeds") { Description = "Comma-separated fine-tuning seeds (overrides the preset's)." };
        var audioRoot = new Option<string?>("--audio-root") { Description = "Folder the clip paths are relative to (default: the manifest's folder)." };
        var threads = CliLists.Threads("Worker threads, one per core by default.");
        var systems = new Option<string?>("--systems") { Description = $"Comma-separated subset of the systems to run (default: all {ExperimentRunner.Systems.Length})." };
        var encoder = new Option<string>("--audio-encoder") { Description = "Utterance encoder of the audio-vector system (builtin).", DefaultValueFactory = _ => "builtin" }.OneOf(UtteranceEncoders.Names);
        var mixdown = new Option<bool>("--mixdown") { Description = "Average all channels of multi-channel clips instead of taking channel 0, in every step that reads them (tokenize, mfcc, bow-mfcc, audio-vector)." };
        var metric = CliLists.MetricForBestModelOption();
        var maxLength = MaxLengthOption();
        var cmd = new Command("experiment", $"Run {string.Join(", ", ExperimentRunner.Systems)} on a manifest.")
            { manifest, outDir, model, tokenizer, preset, seeds, audioRoot, mixdown, threads, systems, encoder, metric, maxLength };
        cmd.SetAction(r =>
        {
            var results = ExperimentRunner.Run(new ExperimentOptions
            {
                Manifest = r.GetValue(manifest)!, Out = r.GetValue(outDir)!, Model = r.GetValue(model)!, Tokenizer = r.GetValue(tokenizer)!,
                Preset = ExperimentPreset.Parse(r.GetValue(preset)!), Seeds = CliLists.Seeds(r.GetValue(seeds)), AudioRoot = r.GetValue(audioRoot),
                MetricForBestModel = r.GetValue(metric), MaxLength = r.GetValue(maxLength),
                Threads = r.GetValue(threads), AudioEncoder = r.GetValue(encoder)!, Mixdown = r.GetValue(mixdown),
                OnlySystems = r.GetValue(systems) is { } list ? CommaList.Split(systems.Name, list, $"some of {string.Join(", ", ExperimentRunner.Systems)}")
                    .Select(s => OptionRules.Match(s, ExperimentRunner.Systems) ?? s).ToArray() : null, // an unknown name: the runner's error names it
            }, Console.Error.WriteLine, ProgressPrinter.Stderr().Report);
            Console.WriteLine(Table(results));
            Console.WriteLine($"report: {Path.Combine(Path.GetFullPath(r.GetValue(outDir)!), "report.md")}");
            return 0;
        });
        return cmd;
    }

    /// <summary><c>--max-length</c> of experiment and demo: overrides the preset's.</summary>
    internal static Option<int?> MaxLengthOption() => new(SampleSerializer.MaxLengthOption)
    {
        Description = $"Tokens per sample, BOS included, in pre-training and fine-tuning (default: the preset's, {SampleSerializer.DefaultMaxLength}; HF max_length).",
    };

    internal static string PresetHelp() =>
        "paper (the paper's hyper-parameters) or quick (" + string.Join("; ", ExperimentPreset.Quick.Changes) + "; everything else as paper).";

    /// <summary>The results as a plain-text table for the terminal.</summary>
    internal static string Table(ExperimentResults r)
    {
        static string F(double? v) => v is double d ? d.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture) : "–";
        var lines = new List<string> { $"{"system",-18} {"macro-F1",8} {"± std",7} {"bagged",7} {"vote",7} {"tokens",6}" };
        foreach (var s in r.Systems)
            lines.Add($"{s.System,-18} {F(s.MacroF1),8} {F(s.MacroF1Std),7} {F(s.MacroF1Bagged),7} {F(s.MacroF1Vote),7} {(s.SelectedTokens?.ToString() ?? "–"),6}");
        return string.Join("\n", lines);
    }
}
