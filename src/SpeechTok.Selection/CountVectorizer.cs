using System.Text;

namespace SpeechTok.Selection;

/// <summary>
/// scikit-learn's <c>CountVectorizer()</c> with its defaults: Python <c>str.lower()</c>, token pattern
/// <c>(?u)\b\w\w+\b</c> (every maximal run of two or more word code points), unigrams, vocabulary in
/// Python's code-point order. Scans code points, not UTF-16 units, so astral-plane letters count once.
/// </summary>
public sealed class CountVectorizer
{
    /// <summary>Vocabulary in column order (sorted by code point).</summary>
    public IReadOnlyList<string> Vocabulary { get; }
    private readonly Dictionary<string, int> _index;

    private CountVectorizer(List<string> vocabulary)
    {
        Vocabulary = vocabulary;
        _index = new Dictionary<string, int>(vocabulary.Count, StringComparer.Ordinal);
        for (int i = 0; i < vocabulary.Count; i++) _index[vocabulary[i]] = i;
    }

    public int Count => Vocabulary.Count;

    /// <summary>The vocabulary of <paramref name="texts"/>.</summary>
    /// <param name="source">Names the texts in errors (e.g. "MANIFEST (train split)").</param>
    /// <exception cref="SpeechTokException">No text yields a token: sklearn's ValueError "empty vocabulary".</exception>
    public static CountVectorizer Fit(IEnumerable<string> texts, string source = "CountVectorizer")
    {
        var words = new HashSet<string>(StringComparer.Ordinal);
        foreach (var t in texts) foreach (var w in Tokenize(t)) words.Add(w);
        if (words.Count == 0)
            throw new SpeechTokException($"{source}: empty vocabulary; perhaps the documents only contain stop words (no text has a word of two or more letters or digits)");
        var vocab = words.ToList();
        vocab.Sort(CodePointComparer.Instance);
        return new CountVectorizer(vocab);
    }

    /// <summary>Raw counts, one CSR row per text; words outside the vocabulary are ignored.</summary>
    public CsrMatrix Transform(IReadOnlyList<string> texts)
    {
        var rows = new List<IEnumerable<KeyValuePair<int, double>>>(texts.Count);
        foreach (var t in texts)
        {
            var counts = new Dictionary<int, double>();
            foreach (var w in Tokenize(t))
                if (_index.TryGetValue(w, out int c)) counts[c] = counts.GetValueOrDefault(c) + 1;
            rows.Add(counts);
        }
        return CsrMatrix.FromRows(Count, rows);
    }

    /// <summary>The tokens sklearn's default analyzer yields for <paramref name="text"/>, in order.</summary>
    public static IEnumerable<string> Tokenize(string text)
    {
        var lower = PythonLower(text);
        var sb = new StringBuilder();
        int runLength = 0;
        foreach (var r in lower.EnumerateRunes())
        {
            if (IsWord(r)) { sb.Append(r.ToString()); runLength++; continue; }
            if (runLength >= 2) yield return sb.ToString();
            sb.Clear(); runLength = 0;
        }
        if (runLength >= 2) yield return sb.ToString();
    }

    /// <summary>Python's <c>\w</c> on str patterns: <c>str.isalnum()</c> (letters and numbers) or '_'.</summary>
    internal static bool IsWord(Rune r)
    {
        if (r.Value == '_') return true;
        switch (Rune.GetUnicodeCategory(r))
        {
            case System.Globalization.UnicodeCategory.UppercaseLetter:
            case System.Globalization.UnicodeCategory.LowercaseLetter:
            case System.Globalization.UnicodeCategory.TitlecaseLetter:
            case System.Globalization.UnicodeCategory.ModifierLetter:
            case System.Globalization.UnicodeCategory.OtherLetter:
            case System.Globalization.UnicodeCategory.DecimalDigitNumber:
            case System.Globalization.UnicodeCategory.LetterNumber:
            case System.Globalization.UnicodeCategory.OtherNumber:
                return true;
            default:
                return false;
        }
    }

    /// <summary>
    /// Python's <c>str.lower()</c>: simple lowercase per code point plus the two context/full mappings
    /// Python applies (U+0130 → "i\u0307"; capital sigma → final sigma under Unicode's Final_Sigma condition).
    /// </summary>
    internal static string PythonLower(string s)
    {
        var runes = s.EnumerateRunes().ToArray();
        var sb = new StringBuilder(s.Length);
        for (int i = 0; i < runes.Length; i++)
        {
            var r = runes[i];
            if (r.Value == 0x130) { sb.Append("i\u0307"); continue; }
            if (r.Value == 0x3A3)
            {
                sb.Append(FinalSigma(runes, i) ? 'ς' : 'σ');
                continue;
            }
            sb.Append(Rune.ToLowerInvariant(r).ToString());
        }
        return sb.ToString();
    }

    /// <summary>
    /// Unicode's Final_Sigma condition as CPython's <c>handle_capital_sigma</c> tests it: skipping case-ignorable code points,
    /// a cased letter comes before position <paramref name="i"/> and none comes after it ("ΟΔΟΣ.Α": not final; "中Σ": not final).
    /// </summary>
    private static bool FinalSigma(Rune[] runes, int i)
    {
        int j = i - 1;
        while (j >= 0 && IsCaseIgnorable(runes[j])) j--;
        if (j < 0 || !IsCased(runes[j])) return false;
        j = i + 1;
        while (j < runes.Length && IsCaseIgnorable(runes[j])) j++;
        return j == runes.Length || !IsCased(runes[j]);
    }

    /// <summary>Unicode's Cased, approximated by the letter case categories and any code point with a case mapping (Ⅰ, Ⓐ).</summary>
    private static bool IsCased(Rune r) =>
        Rune.GetUnicodeCategory(r) is System.Globalization.UnicodeCategory.UppercaseLetter or System.Globalization.UnicodeCategory.LowercaseLetter
            or System.Globalization.UnicodeCategory.TitlecaseLetter
        || Rune.ToLowerInvariant(r) != r || Rune.ToUpperInvariant(r) != r;

    /// <summary>Unicode's Case_Ignorable: Mn, Me, Cf, Lm, Sk, and the word-break MidLetter, MidNumLet and Single_Quote characters.</summary>
    private static bool IsCaseIgnorable(Rune r) =>
        Rune.GetUnicodeCategory(r) is System.Globalization.UnicodeCategory.NonSpacingMark or System.Globalization.UnicodeCategory.EnclosingMark
            or System.Globalization.UnicodeCategory.Format or System.Globalization.UnicodeCategory.ModifierLetter or System.Globalization.UnicodeCategory.ModifierSymbol
        || r.Value is 0x27 or 0x2E or 0x3A or 0xB7 or 0x387 or 0x55F or 0x5F4 or 0x2018 or 0x2019 or 0x2024 or 0x2027 or 0xFE13 or 0xFE52 or 0xFE55 or 0xFF07 or 0xFF0E or 0xFF1A;
}
