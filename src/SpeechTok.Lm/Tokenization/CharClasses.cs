using System.Globalization;

namespace SpeechTok.Lm.Tokenization;

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
