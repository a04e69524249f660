namespace SpeechTok.Lm.Tokenization;

/// <summary>A character predicate (HF's <c>Fn(char) -> bool</c> pattern): every matching code point is a match
/// of its own.</summary>
internal sealed class CharPattern(Func<int, bool> matches) : SplitPattern
{
    public override void FindMatches(string text, int start, int end, List<(int Start, int End, bool IsMatch)> output)
    {
        int prev = start;
        for (int i = start; i < end;)
        {
            int len = char.IsHighSurrogate(text[i]) && i + 1 < end && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;
            if (matches(len == 2 ? char.ConvertToUtf32(text[i], text[i + 1]) : text[i]))
            {
                if (i > prev) output.Add((prev, i, false));
                output.Add((i, i + len, true));
                prev = i + len;
            }
            i += len;
        }
        if (prev < end) output.Add((prev, end, false));
    }
}
