using SpeechTok.Audio;
using SpeechTok.Audio.Features;
using SpeechTok.Codec;
using SpeechTok.Codec.Store;
using SpeechTok.Evaluation;
using SpeechTok.Experiments.Plots;
using SpeechTok.Experiments.Report;
using SpeechTok.Selection;
using SpeechTok.Training;

namespace SpeechTok.Experiments.Runner;

/// <summary>OUT/report.md and OUT/plots/*.svg from the results and the cached steps of an experiment.</summary>
internal static class ExperimentReport
{
    public static void Write(ExperimentRunner.Context ctx, ExperimentResults results)
    {
        var dirs = ctx.Dirs;
        Directory.CreateDirectory(dirs.Plots);
        var plots = new List<PlotLink>();
        void Save(string file, string caption, string svg)
        {
            Plot.Save(Path.Combine(dirs.Plots, file), svg);
            plots.Add(new PlotLink(caption, $"plots/{file}"));
        }
        // results.json's names first: the plots must agree with the table even if the label-name file was edited since
        var classNames = results.ClassNames ?? ctx.Options.ClassNames ?? ctx.Manifest.LabelNames ?? Enumerable.Range(0, ctx.Manifest.NumClasses).Select(i => i.ToString()).ToList();

        Save("macro-f1.svg", "Test macro-F1 per system (whiskers: ± std over seeds; dots: seeds)", Plot.MacroF1Bars(results));
        string acoustic = ctx.AcousticLayers, layers = $"layers {acoustic.Replace('-', '–')}";
        var acousticPath = Path.Combine(dirs.Selection, $"{acoustic}.json");
        var selection = File.Exists(acousticPath) ? SelectionFile.Load(acousticPath) : null;
        if (selection != null && CChoice.Points(selection) is { Count: > 0 } points)
        {
            string score = (selection.Task == "binary" ? "F1 of class 1" : "macro-F1") + " (inner split)"; // the experiment scores C on the inner split
            Save("c-sweep.svg", $"Selection ({layers}): {score} and selected tokens vs C", Plot.CSweep(points, chosenC: selection.C, score: score));
        }
        var best = results.Systems.Where(s => s.ConfusionMatrix != null).OrderByDescending(s => s.MacroF1).FirstOrDefault();
        if (best != null)
            Save("confusion.svg", $"Confusion matrix of the best fine-tuned system ({best.System}, bagged, test; the baselines keep no predictions)",
                Plot.ConfusionMatrix(best, classNames));
        foreach (var system in new[] { "audio-lasso", "text-only-llm" })
            if (FinetuneCurves(ctx, system) is { } series)
                Save($"curves-{system}.svg", $"Fine-tuning curves of {system} (first seed)", Plot.Curves(series, $"Fine-tuning: {system} (seed {ctx.Preset.Seeds[0]})", "optimizer step", "loss / F1"));
        if (PretrainCurves(ctx, acoustic) is { } pre)
            Save("curves-pretrain.svg", $"Embedding pre-training curves ({layers} selection)", Plot.Curves(pre, $"Pre-training of the audio rows ({layers})", "optimizer step", "causal-LM loss"));

        var settings = new List<KeyValuePair<string, string>>
        {
            new("manifest", ctx.Manifest.Path),
            new("samples (train / val / test)", string.Join(" / ", Manifest.SplitNames.Select(s => ctx.Manifest.Split(s).Count))),
            new("model", ctx.Options.Model == ModelResolver.Builtin ? $"{ModelResolver.Builtin} (pre-trained on the State of the Union addresses, sha256 {BuiltinLm.ModelSha256[..12]}…)" : ctx.Options.Model),
            new("speech tokenizer", ctx.Options.Tokenizer),
        };
        if (ctx.Options.Mixdown) settings.Add(new("multi-channel clips", "channels averaged (--mixdown)")); // only when set: other reports stay as they were
        settings.AddRange(ctx.Preset.Describe());
        foreach (var which in Selections(ctx))
        {
            var p = Path.Combine(dirs.Selection, $"{which}.json");
            if (!File.Exists(p)) continue;
            var s = SelectionFile.Load(p);
            settings.Add(new($"selection {which}", s.Mode == SelectionFile.RandomMode
                ? $"{s.SelectedFeatures.Length} random audio features (seed {s.Seed})"
                : $"C = {s.C}, {s.Counts?.SelectedAudio} audio tokens, inner-split F1 {s.InnerSplit?.MacroF1:F3}"));
        }

        var notes = new List<string>();
        if (ctx.NumQuantizers < 2)
            notes.Add($"The speech tokenizer has one RVQ layer, not SpeechTokenizer's {AudioFeatureLayout.SpeechTokenizerLayers}: audio-lasso-8 selects on it; " +
                      "audio-lasso, audio-lasso-nopt and audio-random, which use the layers after the first, cannot run.");
        else if (ctx.NumQuantizers != AudioFeatureLayout.SpeechTokenizerLayers)
            notes.Add($"The speech tokenizer has {ctx.NumQuantizers} RVQ layers, not SpeechTokenizer's {AudioFeatureLayout.SpeechTokenizerLayers}: audio-lasso, audio-lasso-nopt " +
                      $"and audio-random use layers {acoustic.Replace('-', '–')} (all but the first), audio-lasso-8 all of them ({ctx.AllLayers.Replace('-', '–')}); the systems keep the paper's names.");
        if (TokensVersusVector(results, ctx.Options.AudioEncoder) is { } versus) notes.Add(versus);
        if (ctx.Preset.Changes.Count > 0)
            notes.Add($"Preset `{ctx.Preset.Name}` differs from the paper's hyper-parameters in: " + string.Join("; ", ctx.Preset.Changes) + ".");
        notes.Add("C of the L1 selection is chosen per layer setting from the sweep in Settings: the best inner-split (80/20 of train) F1 among the C values " +
                  $"keeping {ctx.Preset.TokenRangeText} audio tokens. Baselines (bow, mfcc, bow-mfcc) are one deterministic fit, so their bagged and vote scores equal the single score.");

        // A text-systems-only rerun may run where the audio is absent; the token report reads it, so it is left out, and said so.
        int clipsAbsent = selection == null ? 0 : ctx.Manifest.Samples.Sum(s => s.AudioPaths.Count(p => !File.Exists(p)));
        if (clipsAbsent > 0) notes.Add($"The token report (what the selected audio tokens carry) is left out: it reads the clips, and {clipsAbsent} were not found.");

        ReportWriter.Write(Path.Combine(dirs.Root, ReportWriter.FileName), new ReportInput
        {
            Results = results with { ClassNames = results.ClassNames ?? classNames },
            Title = $"SpeechTok experiment ({ctx.Preset.Name} preset)",
            Settings = settings, Timings = ctx.Timings.All, Truncations = Truncations(ctx), Plots = plots,
            Tokens = selection != null && clipsAbsent == 0 ? Tokens(ctx, selection) : null, Notes = notes,
        });
    }

    /// <summary>The paper's central comparison side by side: the selected audio tokens against one projected utterance vector.</summary>
    private static string? TokensVersusVector(ExperimentResults results, string encoder)
    {
        var rows = new[] { "text-only-llm", "audio-vector", "audio-lasso" }.Select(n => results.Find(n)).ToList();
        if (rows[1] == null || rows[2] == null) return null;
        static string F(double? v) => v is double d ? d.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture) : "–";
        var sb = new System.Text.StringBuilder("### Tokens vs one vector\n\n| the LLM hears | system | macro-F1 (mean ± std) | bagged | Δ vs text only |\n|---|---|---:|---:|---:|\n");
        string[] what = ["nothing (text only)", "one projected utterance vector", $"{rows[2]!.SelectedTokens} selected audio token types"];
        for (int i = 0; i < 3; i++)
            if (rows[i] is { } r)
                sb.Append($"| {what[i]} | {r.System} | {F(r.MacroF1)}{(r.MacroF1Std is double sd ? " ± " + F(sd) : "")} | {F(r.MacroF1Bagged)} | {(rows[0] is { } t ? (r.MacroF1 - t.MacroF1).ToString("+0.000;-0.000", System.Globalization.CultureInfo.InvariantCulture) : "–")} |\n");
        return sb.Append($"\naudio-vector: the `{encoder}` utterance embedding, a trained linear projection into the LM's input space, one soft vector " +
                         "between the audio markers; LoRA and head as for the token systems (the paper's \"LLM + BYOL-A\").").ToString();
    }

    /// <summary>The experiment's selections, as selection/ and pretrain/ name them.</summary>
    private static string[] Selections(ExperimentRunner.Context ctx) => [ctx.AcousticLayers, ctx.AllLayers, ExperimentRunner.RandomSelection];

    private static List<Series>? FinetuneCurves(ExperimentRunner.Context ctx, string system)
    {
        var path = Path.Combine(FinetuneRun.SeedDir(Path.Combine(ctx.Dirs.Runs, system), ctx.Preset.Seeds[0]), SeedCurves.FileName);
        if (!File.Exists(path)) return null;
        var c = SeedCurves.Load(path);
        var series = new List<Series>();
        if (c.TrainLoss.Count > 0)
            series.Add(new Series("train loss", c.TrainLoss.Select(p => (double)p.Step).ToList(), c.TrainLoss.Select(p => p.Loss).ToList()));
        if (c.Val.Count > 0)
        {
            series.Add(new Series("val loss", c.Val.Select(p => (double)p.Step).ToList(), c.Val.Select(p => p.Loss).ToList(), Dashed: true));
            series.Add(new Series("val macro-F1", c.Val.Select(p => (double)p.Step).ToList(), c.Val.Select(p => p.MacroF1).ToList()));
        }
        return series.Count > 0 ? series : null;
    }

    private static List<Series>? PretrainCurves(ExperimentRunner.Context ctx, string which)
    {
        var path = Path.Combine(ctx.Dirs.Pretrain, which, PretrainFile.FileName);
        if (!File.Exists(path)) return null;
        var c = PretrainFile.Load(path).Curves;
        var series = new List<Series>();
        if (c.TrainLoss.Count > 0)
            series.Add(new Series("train loss", c.TrainLoss.Select(p => (double)p.Step).ToList(), c.TrainLoss.Select(p => p.Loss).ToList(), false));
        if (c.EvalLoss.Count > 0)
            series.Add(new Series("eval loss", c.EvalLoss.Select(p => (double)p.Step).ToList(), c.EvalLoss.Select(p => p.Loss).ToList(), true));
        return series.Count > 0 ? series : null;
    }

    private static List<Truncation> Truncations(ExperimentRunner.Context ctx)
    {
        var list = new List<Truncation>();
        foreach (var which in Selections(ctx))
        {
            var p = Path.Combine(ctx.Dirs.Pretrain, which, PretrainFile.FileName);
            if (File.Exists(p))
                list.Add(new Truncation($"pre-training {which} (all splits)", PretrainFile.Load(p).Truncated, ctx.Manifest.Samples.Count, ctx.Preset.MaxLength));
        }
        foreach (var system in ExperimentRunner.Systems)
        {
            var p = Path.Combine(ctx.Dirs.Runs, system, RunFile.FileName);
            if (!File.Exists(p) || RunFile.Load(p).Truncated is not { } tr) continue;
            foreach (var (split, n) in tr)
                list.Add(new Truncation($"{system} {split}", n, ctx.Manifest.Split(split).Count, ctx.Preset.MaxLength));
        }
        return list;
    }

    /// <summary>The token report over every sample: codes from the store, descriptors from the audio at the codec's 50 Hz grid.</summary>
    private static TokenReport? Tokens(ExperimentRunner.Context ctx, SelectionFile selection)
    {
        var codesDir = ctx.Dirs.Codes;
        if (!File.Exists(Path.Combine(codesDir, CodeStore.MetaFile))) return null;
        using var store = CodeStore.Open(codesDir);
        var samples = ctx.Manifest.Samples.Select(s =>
        {
            var d = FrameDescriptors.Compute(AudioLoader.LoadSample(s, ctx.Options.Mixdown)); // as the codes were made
            var energyDb = d.Rms.Select(r => (float)(20 * Math.Log10(Math.Max(r, 1e-10)))).ToArray();
            var frames = new FrameAcoustics(d.F0, energyDb, d.Centroid, d.Voiced);
            return new TokenReportSample(s.Key, store.Get(s), frames, ctx.Manifest.Task != TaskKind.Multilabel ? s.Label : null);
        }).ToList();
        return TokenReport.Compute(selection.SelectedFeatures, selection.Layout, samples);
    }
}
