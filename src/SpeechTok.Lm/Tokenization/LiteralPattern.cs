namespace SpeechTok.Lm.Tokenization;

/// <summary>A <c>{"String": ...}</c> pattern: the literal's non-overlapping occurrences, left to right (HF escapes
/// it into a regex). An empty literal matches nothing.</summary>
internal sealed class LiteralPattern(string literal) : SplitPattern
{
    public override void FindMatches(string text, int start, int end, List<(int Start, int End, bool IsMatch)> output)
    {
        int prev = start;
        while (literal.Length > 0)
        {
            int k = text.AsSpan(prev, end - prev).IndexOf(literal, StringComparison.Ordinal);
            if (k < 0) break;
            if (k > 0) output.Add((prev, prev + k, false));
            output.Add((prev + k, prev + k + literal.Length, true));
            prev += k + literal.Length;
        }
        if (prev < end) output.Add((prev, end, false));
    }
}
