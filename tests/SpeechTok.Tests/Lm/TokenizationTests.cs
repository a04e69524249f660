using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SpeechTok.Lm.Tokenization;

namespace SpeechTok.Tests.Lm;

public sealed class TokenizationTests
{
    private static int B(char c) => c; // single-byte token id = byte value in the tiny vocab
    private const int Space = 0x20;   // 'Ġ' = byte 0x20

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void MergesInBothFormats(bool stringMerges)
    {
        var tok = TinyTokenizer.Build(stringMerges, ignoreMerges: false);
        Assert.Equal([259], tok.Encode("hello"));                 // he (rank 0), ll (1), hell (2), hello (3)
        Assert.Equal([Space, 259], tok.Encode(" hello"));         // "he" is merged before "Ġh" could be, so Ġhello is never reached
        Assert.Equal([264, 264, B('a')], tok.Encode("aaaaa"));    // equal ranks merge left to right
        Assert.Equal([258, B('x')], tok.Encode("hellx"));
        Assert.Equal([258, 262], tok.Encode("hellell"));          // he, ll, ll, hell, then e+ll → ell
        Assert.Equal([261], TinyTokenizer.Build(stringMerges, ignoreMerges: true).Encode(" hello")); // whole pre-token in vocab
    }

    [Fact]
    public void IgnoreMergesEmitsWholeVocabEntries()
    {
        Assert.Equal([259, 265], TinyTokenizer.Build(ignoreMerges: true).Encode("hello world"));
        int[] plain = TinyTokenizer.Build(ignoreMerges: false).Encode("hello world");
        Assert.Equal(new[] { 259, Space, B('w'), B('o'), B('r'), B('l'), B('d') }, plain);
    }

    [Fact]
    public void AddedTokensHonourFlags()
    {
        var added = new JsonArray(
            TinyTokenizer.Added("<s>", 266, special: true),
            TinyTokenizer.Added("<L>", 267, special: true, lstrip: true),
            TinyTokenizer.Added("<R>", 268, special: true, rstrip: true),
            TinyTokenizer.Added("<w>", 269, special: false, singleWord: true),
            TinyTokenizer.Added("<s><s>", 270, special: false));
        var tok = TinyTokenizer.Build(addedTokens: added);
        Assert.Equal([B('a'), 267, Space, B('b')], tok.Encode("a  <L> b"));             // lstrip takes the spaces before it
        Assert.Equal([B('a'), 268, B('b')], tok.Encode("a<R>   b"));
        Assert.Equal([B('x'), Space, 269, Space, B('y')], tok.Encode("x <w> y"));
        Assert.Equal([B('x'), B('<'), B('w'), B('>'), B('y')], tok.Encode("x<w>y"));      // not a single word: plain text
        Assert.Equal([270, 266], tok.Encode("<s><s><s>"));                                  // longest match first
        Assert.Equal([B('<'), B('s')], tok.Encode("<s"));
    }

    [Fact]
    public void TemplateAddsBosOnlyWhenAsked()
    {
        var withTemplate = TinyTokenizer.Build(postProcessor: new JsonObject
        {
            ["type"] = "Sequence",
            ["processors"] = new JsonArray(new JsonObject { ["type"] = "ByteLevel", ["trim_offsets"] = false }, TinyTokenizer.BosTemplate()),
        }, bosToken: null);
        Assert.True(withTemplate.HasTemplate);
        Assert.Equal(266, withTemplate.BosId);
        Assert.Equal([266, 259], withTemplate.Encode("hello", addSpecialTokens: true));
        Assert.Equal([259], withTemplate.Encode("hello"));

        var noTemplate = TinyTokenizer.Build(bosToken: null);
        Assert.False(noTemplate.HasTemplate);
        Assert.Null(noTemplate.BosId);
        Assert.Equal([259], noTemplate.Encode("hello", addSpecialTokens: true));
        Assert.Equal([259], noTemplate.EncodeWithBos("hello")); // no BOS token (Qwen2.5): the text alone, as its tokenizer gives
    }

    /// <summary>transformers' LlamaTokenizerFast rebuilds its template from tokenizer_config.json's add_bos_token, so
    /// <c>add_bos_token: false</c> means no BOS; PreTrainedTokenizerFast (Llama-3) keeps tokenizer.json's template.</summary>
    [Theory]
    [InlineData("true", "LlamaTokenizer", 1)]
    [InlineData("false", "LlamaTokenizer", null)]
    [InlineData("false", "LlamaTokenizerFast", null)]
    [InlineData("false", null, null)]
    [InlineData("false", "PreTrainedTokenizerFast", 1)]
    public void Add_bos_token_false_drops_bos_for_the_classes_that_obey_it(string addBos, string? tokenizerClass, int? bos)
    {
        string dir = SpeechTok.Tests.Audio.Tool.TempDir("addbos");
        string fixture = Path.Combine(SpeechTok.Tests.Conformance.FixtureRoot.Root, "hf-tokenizers", "llama2");
        File.Copy(Path.Combine(fixture, "tokenizer.json"), Path.Combine(dir, "tokenizer.json"));
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(fixture, "tokenizer_config.json")))!.AsObject();
        config["add_bos_token"] = bool.Parse(addBos);
        config.Remove("tokenizer_class");
        if (tokenizerClass != null) config["tokenizer_class"] = tokenizerClass;
        File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), config.ToJsonString());
        var tok = HfTokenizer.Load(dir);
        Assert.Equal(bos, tok.BosId);
        int[] expected = bos == null ? tok.Encode("Hello") : [1, .. tok.Encode("Hello")];
        Assert.Equal(expected, tok.EncodeWithBos("Hello"));
        Assert.Equal(expected, tok.Encode("Hello", addSpecialTokens: true)); // HF's tokenizer(text) with the rebuilt template
    }

    [Fact]
    public void DecodeRoundTripsAndSkipsSpecials()
    {
        var tok = TinyTokenizer.Build();
        string text = "hello <s>wörld 😀\n";
        int[] ids = tok.Encode(text);
        Assert.Equal(text, tok.Decode(ids));
        Assert.Equal("hello wörld 😀\n", tok.Decode(ids, skipSpecialTokens: true));
        Assert.Equal("\uFFFD", tok.Decode([0xF0]));                      // a cut UTF-8 sequence
        Assert.Equal("a.", tok.Decode(tok.Encode("a ."), cleanUpTokenizationSpaces: true));
        Assert.Throws<SpeechTokException>(() => tok.Decode([100_000]));
    }

    [Fact]
    public void AddTokensAppendsIdsLikeHf()
    {
        var tok = TinyTokenizer.Build();
        Assert.Equal(267, tok.VocabSize);                                 // model ids 0..265, <s> = 266
        int pad = tok.AddPadToken("[PAD]");
        Assert.Equal(267, pad);
        Assert.Equal([268, 269, 259], tok.AddTokens(["<a0>", "<t>", "hello"], special: false)); // "hello" is in the vocab
        Assert.Equal([269], tok.AddTokens(["<t>"], special: true));       // re-added as special keeps its id
        var t = tok.AddedTokens.Single(a => a.Content == "<t>");
        Assert.True(t.Special);
        Assert.False(t.Normalized);
        Assert.True(tok.AddedTokens.Single(a => a.Content == "<a0>").Normalized);
        Assert.Equal(270, tok.VocabSize);
        Assert.Equal([B('x'), 268, 269, Space, 267], tok.Encode("x<a0><t> [PAD]"));
        Assert.Equal("x<a0> ", tok.Decode(tok.Encode("x<a0><t> [PAD]"), skipSpecialTokens: true));
        Assert.Throws<SpeechTokException>(() => tok.AddTokens([""], special: false));
    }

    [Fact]
    public void DigitsAndGpt2ByteLevelSplit()
    {
        // SmolLM2 layout: Sequence[Digits(individual_digits), ByteLevel(use_regex)].
        var json = TinyTokenizer.Json(ignoreMerges: false);
        json["pre_tokenizer"] = new JsonObject
        {
            ["type"] = "Sequence",
            ["pretokenizers"] = new JsonArray(
                new JsonObject { ["type"] = "Digits", ["individual_digits"] = true },
                new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["use_regex"] = true }),
        };
        var tok = HfTokenizer.FromJson(json.ToJsonString());
        Assert.Equal([B('a'), Space, B('a'), Space, 264, B('1'), B('2'), 259], tok.Encode("a a aa12hello")); // a | Ġa | Ġaa | 1 | 2 | hello

        var digits = new SplitStep(new CharPattern(c => CharClasses.Of(c) == CharClass.Number), SplitStep.Behavior.Contiguous);
        Assert.Equal(["ab", "1234", "c", "٣5"], Pieces(digits, "ab1234c٣5"));
    }

    [Fact]
    public void UnknownSplitPatternUsesRegex()
    {
        var json = TinyTokenizer.Json();
        json["pre_tokenizer"]!["pretokenizers"]![0]!["pattern"]!["Regex"] = @"\d+";
        var tok = HfTokenizer.FromJson(json.ToJsonString());
        // Isolated: matches and the gaps between them are both pieces.
        Assert.Equal([B('x'), B('1'), B('2'), B('y')], tok.Encode("x12y"));
        Assert.Equal(["x", "12", "y", "3"], Pieces(new SplitStep(new RegexPattern(@"\d+"), SplitStep.Behavior.Isolated), "x12y3"));
    }

    internal static List<string> Pieces(PreTokenizerStep step, string s)
    {
        var output = new List<Piece>();
        step.Split(new Piece(s, 0, s.Length, true), output);
        return output.Select(p => p.Span.ToString()).ToList();
    }

    [Fact]
    public void SaveKeepsAddedTokens()
    {
        var tok = TinyTokenizer.Build();
        tok.AddPadToken();
        tok.AddTokens(["<a0>", "<t>"], special: false);
        tok.AddTokens(["<t>"], special: true);
        string dir = Path.Combine(Path.GetTempPath(), "speechtok-tok-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            tok.Save(Path.Combine(dir, "tokenizer.json"));
            var back = HfTokenizer.Load(dir, bosToken: "<s>");
            Assert.Equal(tok.AddedTokens.OrderBy(t => t.Id), back.AddedTokens.OrderBy(t => t.Id));
            Assert.Equal(tok.VocabSize, back.VocabSize);
            string text = "x<a0><t> [PAD] hello wörld";
            Assert.Equal(tok.Encode(text), back.Encode(text));
            Assert.Equal(["tokenizer.json"], Directory.GetFiles(dir).Select(Path.GetFileName));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void ClonesChangeIndependently()
    {
        var a = TinyTokenizer.Build();
        var b = a.Clone();
        b.AddTokens(["<new>"], special: false);
        b.IgnoreMerges = false;
        Assert.Equal([B('<'), B('n'), B('e'), B('w'), B('>')], a.Encode("<new>"));
        Assert.Equal([267], b.Encode("<new>"));
        Assert.Equal([261], a.Encode(" hello"));
        Assert.Equal([Space, 259], b.Encode(" hello"));
        Assert.Equal(267, a.VocabSize);
        Assert.Equal(268, b.VocabSize);
    }

    [Fact]
    public void AddedTokenOutsideByteAlphabetDecodesAsUtf8()
    {
        var tok = TinyTokenizer.Build();
        int[] ids = tok.AddTokens(["two words"], special: false);
        Assert.Equal("a two words", tok.Decode(tok.Encode("a two words")));
        Assert.Equal([B('a'), Space, ids[0]], tok.Encode("a two words"));
    }

    [Fact]
    public void BadFilesFailWithClearMessages()
    {
        var missing = Assert.Throws<SpeechTokException>(() => HfTokenizer.Load(Path.Combine(Path.GetTempPath(), "no-such-dir-" + Guid.NewGuid())));
        Assert.Contains("not found", missing.Message);

        var json = TinyTokenizer.Json();
        ((JsonArray)json["model"]!["merges"]!).Add("h zz");
        var e = Assert.Throws<SpeechTokException>(() => HfTokenizer.FromJson(json.ToJsonString(), "bad.json"));
        Assert.Contains("model.merges[9]", e.Message);
        Assert.Contains("'zz'", e.Message);

        json = TinyTokenizer.Json();
        json["normalizer"] = new JsonObject { ["type"] = "Sequence", ["normalizers"] = new JsonArray(new JsonObject { ["type"] = "NFC" }, new JsonObject { ["type"] = "Lowercase" }) };
        Assert.Contains("normalizer.normalizers[1]: normalizer 'Lowercase' is not supported", Assert.Throws<SpeechTokException>(() => HfTokenizer.FromJson(json.ToJsonString())).Message);

        json = TinyTokenizer.Json();
        ((JsonObject)json["model"]!["vocab"]!).Remove("z");
        var holey = HfTokenizer.FromJson(json.ToJsonString(), "holey.json");
        Assert.Equal([B('a')], holey.Encode("za")); // HF BPE::merge_word: a symbol missing from the vocab, with no unk_token, is dropped

        Assert.Contains("invalid JSON", Assert.Throws<SpeechTokException>(() => HfTokenizer.FromJson("{\"model\": ")).Message);
    }

    public static TheoryData<string> Patterns => new()
    {
        PreTokenizerPatterns.Llama3, PreTokenizerPatterns.Qwen2, PreTokenizerPatterns.Gpt2,
    };

    /// <summary>On BMP text (where UTF-16 units are code points) the scanners must split exactly like the regex.</summary>
    [Theory]
    [MemberData(nameof(Patterns))]
    public void ScannerMatchesRegexOnBmpText(string pattern)
    {
        var scanner = PatternScanner.ForPattern(pattern)!;
        var regex = new Regex(pattern);
        string alphabet = "aZé日 \t\n\r\u00A0\u0085\u2003'sStTrReEvVmMlLdD0123٣½.,!?-_\"\u200B\uFEFF";
        var rng = new Random(1234);
        for (int trial = 0; trial < 3000; trial++)
        {
            var sb = new StringBuilder();
            int len = rng.Next(0, 24);
            for (int k = 0; k < len; k++) sb.Append(alphabet[rng.Next(alphabet.Length)]);
            string s = sb.ToString();
            var expected = regex.Matches(s).Select(m => m.Value).ToList();
            var got = new List<(int Start, int End, bool IsMatch)>();
            scanner.FindMatches(s, 0, s.Length, got);
            Assert.Equal(expected, got.Select(r => s[r.Start..r.End]).ToList());
        }
    }

    [Fact]
    public void ScannerWorksOnCodePoints()
    {
        var scanner = PatternScanner.ForPattern(PreTokenizerPatterns.Llama3)!;
        string s = "x𝔘y 𝔘x 𝟙𝟚𝟛𝟜5";
        var got = new List<(int Start, int End, bool IsMatch)>();
        scanner.FindMatches(s, 0, s.Length, got);
        Assert.Equal(["x𝔘y", " 𝔘x", " ", "𝟙𝟚𝟛", "𝟜5"], got.Select(r => s[r.Start..r.End]).ToList());
        // .NET Regex sees surrogates as \p{Cs} and splits the letters apart: why the scanner exists.
        Assert.NotEqual(got.Select(r => s[r.Start..r.End]).ToList(), new Regex(PreTokenizerPatterns.Llama3).Matches(s).Select(m => m.Value).ToList());
    }
}

internal static class PreTokenizerPatterns
{
    public const string Llama3 = PatternScanner.Llama3Pattern;
    public const string Qwen2 = PatternScanner.Qwen2Pattern;
    public const string Gpt2 = PatternScanner.Gpt2Pattern;
}
