using System.Text.RegularExpressions;

namespace SpeechTok.Lm.Tokenization;

/// <summary>Fallback for split patterns without a scanner: .NET Regex (UTF-16 semantics; astral characters
/// can split differently from HF, see docs/tokenizer.md). Empty matches are skipped.</summary>
internal sealed class RegexPattern(string pattern) : SplitPattern
{
    private readonly Regex _regex = new(pattern, RegexOptions.CultureInvariant);

    public override void FindMatches(string text, int start, int end, List<(int Start, int End, bool IsMatch)> output)
    {
        int prev = start;
        for (var m = _regex.Match(text, start, end - start); m.Success; m = m.NextMatch())
        {
            if (m.Length == 0) continue;
            if (m.Index > prev) output.Add((prev, m.Index, false));
            output.Add((m.Index, m.Index + m.Length, true));
            prev = m.Index + m.Length;
        }
        if (prev < end) output.Add((prev, end, false));
    }
}
