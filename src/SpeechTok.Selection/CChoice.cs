namespace SpeechTok.Selection;

/// <summary>
/// Chooses the selection's C from a sweep instead of a constant tuned to one dataset: among the C values whose
/// selection keeps a token count inside [min, max] (<see cref="SelectedTokenRange"/>), the best inner-split F1 wins
/// (ties → fewer tokens); when none falls inside, the C whose count is closest to the range. Used by
/// <see cref="SelectionRunner"/> when <see cref="SelectOptions.ChooseC"/> is set (<c>select --sweep-c</c> without
/// <c>--c</c>, and the experiment runner).
/// </summary>
public static class CChoice
{
    /// <summary>The sweep of a selection.json (C, selected audio tokens, inner F1 — of class 1 for binary tasks), as plot points.</summary>
    public static IReadOnlyList<CSweepPoint> Points(SelectionFile selection) => Points(selection.Sweep ?? [], selection.Task == "binary");

    /// <summary>Sweep points ascending by C, scored by the F1 the choice uses: of class 1 when <paramref name="binary"/>, else macro.</summary>
    public static IReadOnlyList<CSweepPoint> Points(IEnumerable<SelectionFile.SweepPoint> sweep, bool binary) =>
        sweep.Select(p => new CSweepPoint(p.C, (binary ? p.InnerF1Class1 : p.InnerMacroF1) ?? 0, p.SelectedAudio)).OrderBy(p => p.C).ToList();

    /// <summary>What selection.json's <c>c_choice</c> says for the range [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static string Describe(int min, int max) => $"best inner-split F1 among C with {min}–{max} selected tokens (else the C closest to that range)";

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
