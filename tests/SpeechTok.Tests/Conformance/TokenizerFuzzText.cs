using System.Text;

namespace SpeechTok.Tests.Conformance;

/// <summary>
/// Random text for differential tokenizer tests: words of many scripts, emoji (ZWJ sequences, skin tones, flags),
/// astral letters and digits, combining marks in and out of canonical order, compatibility characters that NFC/NFKC
/// change, runs of spaces/tabs/newlines, digits, ▁ and <c>&lt;0xXX&gt;</c> look-alikes, control characters, random
/// code points, lone surrogates, and the tokenizer's own added tokens, alone or glued inside words.
/// </summary>
internal sealed class TokenizerFuzzText(int seed, IReadOnlyList<string> addedTokens)
{
    private readonly Random _rng = new(seed);

    private static readonly string[] Words =
    [
        "hello", "world", "The", "QUICK", "brown", "fox's", "don't", "I'LL", "we're", "they've", "it'd", "ſtop",
        "naïve", "café", "Ångström", "Straße", "œuvre", "ﬁnance", "ﬂow", "Ｆｕｌｌ", "ｗｉｄｔｈ", "x²", "H₂O", "½", "Ⅻ", "①②",
        "Привет", "мир", "Ελληνικά", "ἀρχή", "שָׁלוֹם", "مرحبا", "العربية", "हिन्दी", "क्षत्रिय", "ไทย", "ภาษา", "한국어", "안녕하세요",
        "日本語", "東京", "がぎぐ", "カタカナ", "ﾊﾝｶｸ", "中文", "汉字", "繁體", "Ꭰ", "ᚠᛇᚻ", "ꦲꦏ꧀",
        "𝔘𝔫𝔦", "𝟙𝟚𝟛", "𝐀𝐁", "𝄞", "𐍈", "𠜎", "🎉", "👍🏽", "👨‍👩‍👧", "🇫🇷", "🏳️‍🌈", "❤️", "✈︎",
        "a\u0301", "e\u0301\u0300", "o\u0323\u0302", "o\u0302\u0323", "\u1100\u1161\u11A8", "\u304B\u3099", "\u212B", "\u2126", "\u212A",
        "\uF900", "\u0958", "\u1E9B\u0323", "\uFDFA", "\u3300", "A\u030A", "\u00C5", "Z\u0327\u0301\u0308", "\u0345\u0301a",
        "12", "123", "1234567", "٣٤٥", "१२३", "3.14159", "1,000", "-42", "0x1F", "v2.0", "10km", "2024-01-31",
        "<0x41>", "<0xE4>", "<unk>", "▁", "▁▁word", "word▁", "\u2581x", "Ġhello", "Ċ", "[PAD]", "<|text|>", "<audio_token_3>",
        "http://example.com/a?b=c", "foo_bar", "camelCase", "snake_case_id", "e-mail", "C++", "#tag", "@user", "$5", "€10", "—", "…",
    ];

    private static readonly string[] Separators =
    [
        "", " ", " ", " ", "  ", "   ", "\t", "\n", "\n\n", "\r\n", " \n ", "\t\t ", "\u00A0", "\u3000", "\u2028", "\u0085",
        "\u200B", "\u200D", "\uFEFF", "\u2003", ".", ", ", "!", "?", "'", "\"", "-", "(", ")", "\u0000", "\u0001", "\u007F",
    ];

    public string Next()
    {
        var sb = new StringBuilder();
        if (_rng.Next(6) == 0) sb.Append(' ', _rng.Next(1, 4));
        if (_rng.Next(12) == 0) sb.Append(Separators[_rng.Next(Separators.Length)]);
        int n = _rng.Next(1, 10);
        for (int k = 0; k < n; k++)
        {
            if (k > 0) sb.Append(Separators[_rng.Next(Separators.Length)]);
            switch (_rng.Next(16))
            {
                case 0 when addedTokens.Count > 0:
                    sb.Append(addedTokens[_rng.Next(addedTokens.Count)]); // alone or glued to the neighbours
                    break;
                case 1:
                    sb.Append(RandomCodePoint());
                    break;
                case 2:
                    sb.Append(_rng.Next(2) == 0 ? '\uD83D' : '\uDE00'); // a lone surrogate
                    break;
                case 3:
                    sb.Append(_rng.NextInt64(0, 10_000_000_000L).ToString(System.Globalization.CultureInfo.InvariantCulture));
                    break;
                case 4:
                    sb.Append(' ', _rng.Next(2, 9));
                    break;
                case 5:
                {
                    // a word with marks appended in random order (canonical reordering, composition)
                    sb.Append(Words[_rng.Next(Words.Length)]);
                    int marks = _rng.Next(1, 4);
                    for (int m = 0; m < marks; m++) sb.Append((char)(0x0300 + _rng.Next(0x70)));
                    break;
                }
                default:
                    sb.Append(Words[_rng.Next(Words.Length)]);
                    break;
            }
        }
        if (_rng.Next(10) == 0) sb.Append(Separators[_rng.Next(Separators.Length)]);
        return sb.ToString();
    }

    private string RandomCodePoint()
    {
        while (true)
        {
            int cp = _rng.Next(4) switch
            {
                0 => _rng.Next(0x20, 0x250),
                1 => _rng.Next(0x250, 0x3400),
                2 => _rng.Next(0x3400, 0x10000),
                _ => _rng.Next(0x10000, 0x30000),
            };
            if (cp is >= 0xD800 and <= 0xDFFF) continue;
            return char.ConvertFromUtf32(cp);
        }
    }
}
