using System.Text.Json.Nodes;
using SpeechTok.Experiments.Plots;

namespace SpeechTok.Experiments.Runner;

/// <summary>
/// Chooses the selection's C from a sweep instead of a constant tuned to one dataset: among the C values whose
/// selection keeps a token count inside [min, max], the best inner-split F1 wins (ties → fewer tokens); when
/// none falls inside, the C whose count is closest to the range.
/// </summary>
public static class CChoice
{
    /// <summary>The sweep of a selection.json (<c>sweep[]</c>: C, selected_audio, inner F1), as plot points.</summary>
    public static IReadOnlyList<CSweepPoint> Points(JsonObject selection)
    {
        bool binary = selection["task"]?.GetValue<string>() == "binary";
        return (selection["sweep"] as JsonArray ?? []).Select(n => new CSweepPoint(
            n!["C"]!.GetValue<double>(),
            (binary ? n["inner_f1_class_1"] : n["inner_macro_f1"])?.GetValue<double>() ?? 0,
            n["selected_audio"]!.GetValue<int>())).OrderBy(p => p.C).ToList();
    }

    public static double Choose(IReadOnlyList<CSweepPoint> points, int min, int max)
    {
        if (points.Count == 0) throw new SpeechTokException("selection: the C sweep is empty");
        var inside = points.Where(p => p.SelectedTokens >= min && p.SelectedTokens <= max).ToList();
        if (inside.Count > 0)
            return inside.OrderByDescending(p => p.MacroF1).ThenBy(p => p.SelectedTokens).First().C;
        static int Distance(CSweepPoint p, int lo, int hi) => p.SelectedTokens < lo ? lo - p.SelectedTokens : p.SelectedTokens - hi;
        var nonZero = points.Where(p => p.SelectedTokens > 0).ToList();
        if (nonZero.Count == 0) throw new SpeechTokException("selection: every C of the sweep selects no audio token; the audio carries no signal the L1 model uses (try larger C values)");
        return nonZero.OrderBy(p => Distance(p, min, max)).ThenByDescending(p => p.MacroF1).First().C;
    }
}
