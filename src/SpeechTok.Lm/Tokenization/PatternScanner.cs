namespace SpeechTok.Lm.Tokenization;

/// <summary>
/// Hand-written scanners for the split patterns of the GPT-2 family, with the exact semantics of the
/// Oniguruma regex that HF uses (leftmost match, ordered alternatives, backtracking) but over Unicode
/// code points: .NET's Regex sees an astral letter as two <c>\p{Cs}</c> surrogates and splits it wrongly.
/// </summary>
internal sealed class PatternScanner : SplitPattern
{
    public const string Llama3Pattern = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    public const string Qwen2Pattern = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    public const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    private readonly bool _llama3Style; // case-insensitive contractions, [^\r\n\p{L}\p{N}]? prefix, newline alternatives
    private readonly int _maxDigits;

    private PatternScanner(bool llama3Style, int maxDigits) { _llama3Style = llama3Style; _maxDigits = maxDigits; }

    /// <summary>A scanner for a known pattern, or null.</summary>
    public static PatternScanner? ForPattern(string pattern) => pattern switch
    {
        Llama3Pattern => new PatternScanner(true, 3),
        Qwen2Pattern => new PatternScanner(true, 1),
        Gpt2Pattern => new PatternScanner(false, int.MaxValue),
        _ => null,
    };

    // These patterns match every character, so the matches alone cover the text.
    public override void FindMatches(string text, int start, int end, List<(int Start, int End, bool IsMatch)> output)
    {
        int i = start;
        while (i < end)
        {
            int j = MatchAt(text, i, end);
            output.Add((i, j, true));
            i = j;
        }
    }

    private static char Fold(char c) => c == '\u017F' ? 's' : (c >= 'A' && c <= 'Z' ? (char)(c + 32) : c);

    private int Contraction(string s, int i, int end)
    {
        if (i + 1 >= end) return -1;
        char a = _llama3Style ? Fold(s[i + 1]) : s[i + 1];
        if (a is 's' or 't' or 'm' or 'd') return i + 2;
        if (i + 2 >= end) return -1;
        char b = _llama3Style ? Fold(s[i + 2]) : s[i + 2];
        if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return i + 3;
        return -1;
    }

    private static int RunEnd(string s, int i, int end, CharClass cls)
    {
        while (i < end && CharClasses.At(s, i, end, out int len) == cls) i += len;
        return i;
    }

    private int MatchAt(string s, int i, int end)
    {
        var c0 = CharClasses.At(s, i, end, out int len0);
        int i1 = i + len0;
        var c1 = i1 < end ? CharClasses.At(s, i1, end, out _) : (CharClass)255;

        if (s[i] == '\'')
        {
            int e = Contraction(s, i, end);
            if (e > 0) return e;
        }

        if (_llama3Style)
        {
            // [^\r\n\p{L}\p{N}]?\p{L}+
            if (c0 == CharClass.Letter) return RunEnd(s, i, end, CharClass.Letter);
            if ((c0 == CharClass.Other || c0 == CharClass.Space) && c1 == CharClass.Letter) return RunEnd(s, i1, end, CharClass.Letter);
            // \p{N}{1,n}
            if (c0 == CharClass.Number)
            {
                int j = i, n = 0;
                while (j < end && n < _maxDigits && CharClasses.At(s, j, end, out int l) == CharClass.Number) { j += l; n++; }
                return j;
            }
            // ' ?[^\s\p{L}\p{N}]+[\r\n]*'
            int o = c0 == CharClass.Other ? i : (s[i] == ' ' && c1 == CharClass.Other ? i1 : -1);
            if (o >= 0)
            {
                int j = RunEnd(s, o, end, CharClass.Other);
                while (j < end && (s[j] == '\r' || s[j] == '\n')) j++;
                return j;
            }
        }
        else
        {
            // ' ?\p{L}+', ' ?\p{N}+', ' ?[^\s\p{L}\p{N}]+'
            if (c0 is CharClass.Letter or CharClass.Number or CharClass.Other) return RunEnd(s, i, end, c0);
            if (s[i] == ' ' && c1 is CharClass.Letter or CharClass.Number or CharClass.Other) return RunEnd(s, i1, end, c1);
        }

        // Only whitespace is left here (all White_Space code points are single UTF-16 units).
        int ws = i;
        int lastNewline = -1;
        while (ws < end)
        {
            var c = CharClasses.At(s, ws, end, out _);
            if (c == CharClass.Newline) lastNewline = ws;
            else if (c != CharClass.Space) break;
            ws++;
        }
        if (ws == i) return i + len0; // unreachable for these patterns (every class is covered); keeps the loop finite
        if (_llama3Style && lastNewline >= 0) return lastNewline + 1; // \s*[\r\n]+
        if (ws == end) return ws;                                     // \s+(?!\S) at the end
        if (ws - i >= 2) return ws - 1;                               // \s+(?!\S): leave one space for the next word
        return ws;                                                    // \s+
    }
}
