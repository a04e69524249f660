namespace SpeechTok.Selection;

/// <summary>
/// Chooses the selection's C from a sweep instead of a constant tuned to one dataset: among the C values whose
/// selection keeps a token count inside [min, max] (<see cref="SelectedTokenRange"/>), the best inner-split F1 (or mean
/// F1 of a cross-validation, <see cref="SelectOptions.CvFolds"/>) wins (ties → fewer tokens); when none falls inside,
/// the C whose count is closest to the range, or, for a constraint
/// (<c>select --min-tokens/--max-token-share</c>), an error listing each C's count. Used by
/// <see cref="SelectionRunner"/> when <see cref="SelectOptions.ChooseC"/> is set (<c>select --sweep-c</c> without
/// <c>--c</c>, and the experiment runner).
/// </summary>
public static class CChoice
{
    /// <summary>The sweep of a selection.json (C, selected audio tokens, the F1 the choice uses — of class 1 for binary tasks), as plot points.</summary>
    public static IReadOnlyList<CSweepPoint> Points(SelectionFile selection) => Points(selection.Sweep ?? [], selection.Task == "binary");

    /// <summary>
    /// Sweep points ascending by C, scored by the F1 the choice uses: the cross-validation mean when the points have one, else
    /// the inner split's; of class 1 when <paramref name="binary"/>, else macro.
    /// </summary>
    public static IReadOnlyList<CSweepPoint> Points(IEnumerable<SelectionFile.SweepPoint> sweep, bool binary) =>
        sweep.Select(p => new CSweepPoint(p.C, (binary ? p.CvF1Class1 ?? p.InnerF1Class1 : p.CvMacroF1 ?? p.InnerMacroF1) ?? 0, p.SelectedAudio)).OrderBy(p => p.C).ToList();

    /// <summary>What scores the sweep, in words: "inner-split F1" or "5-fold CV F1".</summary>
    private static string Scorer(int cvFolds) => cvFolds > 1 ? $"{cvFolds}-fold CV F1" : "inner-split F1";

    /// <summary>
    /// selection.json's <c>c_choice</c> for <paramref name="range"/> on <paramref name="occurring"/> audio token types in
    /// train: the rule in words (with the given settings and the share to its digits, 2.5 % rather than 3 %) and the range.
    /// </summary>
    public static SelectionFile.CChoiceRule Describe(SelectedTokenRange range, int occurring, int cvFolds = 1)
    {
        var (min, max) = range.For(occurring);
        return new SelectionFile.CChoiceRule
        {
            Rule = $"best {Scorer(cvFolds)} among C with {Range(min, max)} selected tokens " +
                (range.Required ? $"({range.Settings(occurring)})" : "(else the C closest to that range)"),
            MinTokens = range.MinTokens, MaxTokenShare = range.MaxTokenShare, MinSelected = min, MaxSelected = max, Required = range.Required,
        };
    }

    /// <summary>
    /// The C of <paramref name="points"/> for <paramref name="range"/> on <paramref name="occurring"/> audio token types in
    /// train (<see cref="Choose(IReadOnlyList{CSweepPoint}, int, int)"/>). A constraint (<see cref="SelectedTokenRange.Required"/>)
    /// that no C meets is an error naming its settings and listing each C's count.
    /// </summary>
    /// <exception cref="SpeechTokException">No C inside a constraint; the range is empty; an empty sweep; no C keeps an audio token.</exception>
    public static double Choose(IReadOnlyList<CSweepPoint> points, SelectedTokenRange range, int occurring)
    {
        var (min, max) = range.For(occurring);
        range.RequireNonEmpty(occurring);
        if (range.Required && !points.Any(p => Inside(p, min, max)))
            throw new SpeechTokException($"{range.Settings(occurring) ?? "the selected-token range"}: no C of the sweep keeps {Range(min, max)} audio tokens; selected audio tokens per C: " +
                string.Join(", ", points.Select(p => $"{p.C:G4} → {p.SelectedTokens}")));
        return Choose(points, min, max);
    }

    /// <summary>
    /// The best inner F1 among the points with <paramref name="min"/>–<paramref name="max"/> selected tokens (ties →
    /// fewer tokens), else the point closest to that range that keeps a token.
    /// </summary>
    /// <exception cref="SpeechTokException">An empty sweep, or no C keeps an audio token.</exception>
    public static double Choose(IReadOnlyList<CSweepPoint> points, int min, int max)
    {
        if (points.Count == 0) throw new SpeechTokException("selection: the C sweep is empty");
        var inside = points.Where(p => Inside(p, min, max)).ToList();
        if (inside.Count > 0)
            return inside.OrderByDescending(p => p.Score).ThenBy(p => p.SelectedTokens).First().C;
        static int Distance(CSweepPoint p, int lo, int hi) => p.SelectedTokens < lo ? lo - p.SelectedTokens : p.SelectedTokens - hi;
        var nonZero = points.Where(p => p.SelectedTokens > 0).ToList();
        if (nonZero.Count == 0) throw new SpeechTokException("selection: every C of the sweep selects no audio token; the audio carries no signal the L1 model uses (try larger C values)");
        return nonZero.OrderBy(p => Distance(p, min, max)).ThenByDescending(p => p.Score).First().C;
    }

    /// <summary>"16–63", or "16" when the range collapses to one count ("16–16 selected tokens" read as a typo).</summary>
    private static string Range(int min, int max) => min == max ? $"{min}" : $"{min}–{max}";

    private static bool Inside(CSweepPoint p, int min, int max) => p.SelectedTokens >= min && p.SelectedTokens <= max;
}
