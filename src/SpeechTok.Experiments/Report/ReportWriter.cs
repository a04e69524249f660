using SpeechTok.Evaluation;
using SpeechTok.IO;
using System.Globalization;
using System.Text;

namespace SpeechTok.Experiments.Report;

/// <summary>Writes report.md: the results table like the paper's, plots, settings, timings, truncation and the token report.</summary>
public static class ReportWriter
{
    public const string FileName = "report.md";

    public static void Write(string path, ReportInput input) => AtomicFile.WriteAllText(path, Render(input));

    public static string Render(ReportInput input)
    {
        var r = input.Results;
        var sb = new StringBuilder();
        sb.Append("# ").Append(input.Title).Append("\n\n");
        sb.Append($"Manifest: `{r.Manifest}` · task: {r.Task}");
        if (r.ClassNames is { Count: > 0 } cn) sb.Append($" · classes: {string.Join(", ", cn.Select((n, i) => $"{i} {n}"))}");
        sb.Append("\n\n");

        ResultsTable(sb, r);
        if (r.Systems.Any(s => s.PerLabelF1 != null)) PerLabelTable(sb, r);
        foreach (var note in input.Notes) sb.Append(note).Append("\n\n");

        if (input.Plots.Count > 0)
        {
            sb.Append("## Plots\n\n");
            foreach (var p in input.Plots) sb.Append($"- [{Cell(p.Caption)}]({p.RelativePath})\n");
            sb.Append('\n');
            foreach (var p in input.Plots) sb.Append($"![{Cell(p.Caption)}]({p.RelativePath})\n\n");
        }

        if (input.Settings.Count > 0)
        {
            sb.Append("## Settings\n\n| setting | value |\n|---|---|\n");
            foreach (var (k, v) in input.Settings) sb.Append($"| {Cell(k)} | {Cell(v)} |\n");
            sb.Append('\n');
        }

        if (input.Timings.Count > 0)
        {
            sb.Append("## Timings\n\n| step | time |\n|---|---:|\n");
            foreach (var t in input.Timings)
            {
                var notes = new List<string>();
                if (t.Attempts > 1) notes.Add($"{t.Attempts} attempts");
                if (!t.Finished) notes.Add("unfinished");
                sb.Append($"| {Cell(t.Step)}{(notes.Count > 0 ? $" ({string.Join(", ", notes)})" : "")} | {Duration(t.Seconds)} |\n");
            }
            sb.Append($"| **total** | **{Duration(input.Timings.Sum(t => t.Seconds))}** |\n\n");
        }

        if (input.Truncations.Count > 0)
        {
            sb.Append("## Truncation\n\nSamples whose serialisation exceeded the sequence budget and were cut.\n\n")
              .Append("| where | truncated | samples | share | budget (tokens) |\n|---|---:|---:|---:|---:|\n");
            foreach (var t in input.Truncations)
                sb.Append($"| {Cell(t.What)} | {t.Truncated} | {t.Total} | {(t.Total == 0 ? "–" : ((double)t.Truncated / t.Total).ToString("0.0%", CultureInfo.InvariantCulture))} | {t.MaxTokens} |\n");
            sb.Append('\n');
        }

        if (input.Tokens is { } tr) TokenTable(sb, tr, r.ClassNames);
        return sb.ToString();
    }

    private static void ResultsTable(StringBuilder sb, ExperimentResults r)
    {
        var split = r.Systems.Select(s => s.Split).Distinct().ToList();
        sb.Append($"## Results ({string.Join(", ", split)} split)\n\n");
        bool class1 = r.Task == "binary" || r.Systems.Any(s => s.F1Class1 != null);
        sb.Append("| system | macro-F1 (mean ± std) | bagged | vote | all labels |");
        if (class1) sb.Append(" F1 class 1 |");
        sb.Append(" selected tokens | seeds |\n|---|---:|---:|---:|---:|");
        if (class1) sb.Append("---:|");
        sb.Append("---:|---:|\n");
        double best = r.Systems.Max(s => s.MacroF1);
        foreach (var s in r.Systems)
        {
            var main = F(s.MacroF1) + (s.MacroF1Std is double sd ? " ± " + F(sd) : "");
            if (s.MacroF1 == best) main = $"**{main}**";
            sb.Append($"| {Cell(s.System)} | {main} | {F(s.MacroF1Bagged)} | {F(s.MacroF1Vote)} | {F(s.MacroF1AllLabels)} |");
            if (class1) sb.Append($" {F(s.F1Class1)} |");
            sb.Append($" {(s.SelectedTokens is int n ? n.ToString(CultureInfo.InvariantCulture) : "–")} | {s.PerSeed.Count} |\n");
        }
        sb.Append("\nmacro-F1: mean over seeds of the macro-F1 over the labels present in the split (the original's convention); ")
          .Append("all labels: the same over every class; ")
          .Append(r.Task == "multilabel"
              ? "bagged: labels whose seed-averaged probability is ≥ 0.5; vote: each label on when most seeds predict it (an even split goes to the mean probability).\n\n"
              : "bagged: argmax of the seed-averaged probabilities; vote: majority vote of the seeds, ties broken by summed probability.\n\n");
    }

    /// <summary>Multi-label tasks: every label's F1 per system (the paper's EMO table), with the macro and micro averages.</summary>
    private static void PerLabelTable(StringBuilder sb, ExperimentResults r)
    {
        int k = r.Systems.Where(s => s.PerLabelF1 != null).Max(s => s.PerLabelF1!.Length);
        string Name(int c) => r.ClassNames is { } n && c < n.Count ? n[c] : c.ToString(CultureInfo.InvariantCulture);
        sb.Append("## Per-label F1\n\n| system |");
        for (int c = 0; c < k; c++) sb.Append($" {Cell(Name(c))} |");
        sb.Append(" macro-F1 | micro-F1 |\n|---|").Append(string.Concat(Enumerable.Repeat("---:|", k + 2))).Append('\n');
        foreach (var s in r.Systems)
        {
            sb.Append($"| {Cell(s.System)} |");
            for (int c = 0; c < k; c++) sb.Append($" {F(s.PerLabelF1 is { } pl && c < pl.Length ? pl[c] : null)} |");
            sb.Append($" {F(s.MacroF1)} | {F(s.MicroF1)} |\n");
        }
        sb.Append("\nF1 of each label at threshold 0.5, mean over seeds; macro-F1 averages the labels present in the split, micro-F1 pools every (sample, label) decision.\n\n");
    }

    private static void TokenTable(StringBuilder sb, TokenReport tr, IReadOnlyList<string>? classNames)
    {
        sb.Append("## What the selected tokens hear\n\n")
          .Append("For each selected audio token, the frames where it occurs, against all frames: mean F0 (voiced frames only), ")
          .Append("energy, spectral centroid, voiced share, and the class whose samples hold most of its occurrences.\n\n")
          .Append("| token | layer | code | count | samples | F0 (Hz) | energy (dB) | centroid (Hz) | voiced | top class (share) |\n")
          .Append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
        void Row(TokenStats t, bool bold)
        {
            string b(string s) => bold ? $"**{s}**" : s;
            string top = t.TopClass is int c ? $"{(classNames != null && c < classNames.Count ? classNames[c] : c.ToString(CultureInfo.InvariantCulture))} ({t.TopClassShare.ToString("0%", CultureInfo.InvariantCulture)})" : "–";
            // A code span, or markdown renderers take <audio_token_k> for an HTML tag and hide it.
            sb.Append($"| {(bold ? b(Cell(t.Token)) : $"`{Cell(t.Token)}`")} | {(t.Layer > 0 ? "RVQ-" + t.Layer : "–")} | {(t.Code >= 0 ? t.Code.ToString(CultureInfo.InvariantCulture) : "–")} | {t.Count} | {t.Samples} | ")
              .Append($"{F(t.MeanF0Hz, "0")} | {F(t.MeanEnergyDb, "0.0")} | {F(t.MeanCentroidHz, "0")} | {(double.IsNaN(t.VoicedFraction) ? "–" : t.VoicedFraction.ToString("0%", CultureInfo.InvariantCulture))} | {top} |\n");
        }
        Row(tr.AllFrames, true);
        foreach (var t in tr.Tokens) Row(t, false);
        sb.Append('\n');
    }

    private static string F(double? v, string format = "0.000") =>
        v is double d && double.IsFinite(d) ? d.ToString(format, CultureInfo.InvariantCulture) : "–";

    private static string Duration(double s) => s < 60
        ? s.ToString("0.0", CultureInfo.InvariantCulture) + " s"
        : $"{(int)Math.Round(s) / 60} min {((int)Math.Round(s) % 60).ToString("00", CultureInfo.InvariantCulture)} s";

    // Markdown table cells: a '|' would split the cell, a newline would end the row.
    private static string Cell(string s) => s.Replace("|", "\\|").Replace("\r", " ").Replace("\n", " ");
}
