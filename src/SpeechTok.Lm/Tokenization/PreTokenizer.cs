using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace SpeechTok.Lm.Tokenization;

/// <summary>One step of a <c>pre_tokenizer</c>: turns a piece of text into smaller (or rewritten) pieces,
/// appending only non-empty ones (HF drops empty splits).</summary>
internal abstract class PreTokenizerStep
{
    public abstract void Split(Piece piece, List<Piece> output);
}

/// <summary>A split pattern (HF <c>Pattern::find_matches</c>): appends (start, end, isMatch) spans that cover
/// <c>text[start, end)</c> in order: the matches and the gaps between them.</summary>
internal abstract class SplitPattern
{
    public abstract void FindMatches(string text, int start, int end, List<(int Start, int End, bool IsMatch)> output);
}

/// <summary>Character classes the split patterns care about, by Unicode code point (not UTF-16 unit).</summary>
internal enum CharClass : byte { Other, Letter, Number, Space, Newline }

internal static class CharClasses
{
    private static readonly CharClass[] Bmp = BuildBmp();

    private static CharClass[] BuildBmp()
    {
        var t = new CharClass[65536];
        for (int c = 0; c < 65536; c++) t[c] = Compute(c);
        return t;
    }

    // \s as Oniguruma and Rust's regex define it: the Unicode White_Space property (U+0085 yes, U+FEFF no).
    // Every White_Space code point is in the BMP.
    private static bool IsWhiteSpace(int c) =>
        (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
        (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;

    public static CharClass Of(int codePoint) => codePoint <= 0xFFFF ? Bmp[codePoint] : Compute(codePoint);

    private static CharClass Compute(int c)
    {
        if (c == '\r' || c == '\n') return CharClass.Newline;
        if (IsWhiteSpace(c)) return CharClass.Space;
        if (c >= 0xD800 && c <= 0xDFFF) return CharClass.Other; // a lone surrogate becomes U+FFFD (a symbol) in UTF-8
        switch (CharUnicodeInfo.GetUnicodeCategory(c))
        {
            case UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter:
                return CharClass.Letter;
            case UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber:
                return CharClass.Number;
            default:
                return CharClass.Other;
        }
    }

    /// <summary>Class of the code point starting at <paramref name="i"/>; <paramref name="len"/> is its UTF-16 length (1 or 2).</summary>
    public static CharClass At(string s, int i, int end, out int len)
    {
        char c = s[i];
        if (char.IsHighSurrogate(c) && i + 1 < end && char.IsLowSurrogate(s[i + 1]))
        {
            len = 2;
            return Compute(char.ConvertToUtf32(c, s[i + 1]));
        }
        len = 1;
        return Bmp[c];
    }
}

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
