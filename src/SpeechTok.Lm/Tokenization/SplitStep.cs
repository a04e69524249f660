namespace SpeechTok.Lm.Tokenization;

/// <summary>
/// HF <c>Split</c> (and the splits inside <c>Digits</c> and <c>Metaspace</c>): the pattern's matches, optionally
/// inverted, combined with the gaps between them by a <c>SplitDelimiterBehavior</c>
/// (<c>Removed</c>, <c>Isolated</c>, <c>MergedWithPrevious</c>, <c>MergedWithNext</c>, <c>Contiguous</c>),
/// as <c>NormalizedString::split</c> does.
/// </summary>
internal sealed class SplitStep(SplitPattern pattern, SplitStep.Behavior behavior, bool invert = false) : PreTokenizerStep
{
    public enum Behavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous }

    [ThreadStatic] private static List<(int Start, int End, bool IsMatch)>? _matches;
    [ThreadStatic] private static List<(int Start, int End, bool Remove)>? _spans;

    public override void Split(Piece piece, List<Piece> output)
    {
        var matches = _matches ??= [];
        var spans = _spans ??= [];
        matches.Clear();
        spans.Clear();
        pattern.FindMatches(piece.Text, piece.Start, piece.End, matches);
        bool previous = false;
        switch (behavior)
        {
            case Behavior.Isolated:
                foreach (var (s, e, _) in matches) spans.Add((s, e, false));
                break;
            case Behavior.Removed:
                foreach (var (s, e, m) in matches) spans.Add((s, e, m != invert));
                break;
            case Behavior.Contiguous:
                foreach (var (s, e, m0) in matches)
                {
                    bool m = m0 != invert;
                    if (m == previous && spans.Count > 0) spans[^1] = (spans[^1].Start, e, false);
                    else spans.Add((s, e, false));
                    previous = m;
                }
                break;
            case Behavior.MergedWithPrevious:
                foreach (var (s, e, m0) in matches)
                {
                    bool m = m0 != invert;
                    if (m && !previous && spans.Count > 0) spans[^1] = (spans[^1].Start, e, false);
                    else spans.Add((s, e, false));
                    previous = m;
                }
                break;
            case Behavior.MergedWithNext:
                for (int k = matches.Count - 1; k >= 0; k--)
                {
                    var (s, e, m0) = matches[k];
                    bool m = m0 != invert;
                    if (m && !previous && spans.Count > 0) spans[^1] = (s, spans[^1].End, false);
                    else spans.Add((s, e, false));
                    previous = m;
                }
                spans.Reverse();
                break;
        }
        foreach (var (s, e, remove) in spans)
            if (!remove && e > s) output.Add(piece.Sub(s, e));
    }
}
