using SpeechTok.Lm.Tokenization;
using SpeechTok.Tensors;
using SpeechTok.Tests.Conformance;

namespace SpeechTok.Tests.Lm;

public sealed class BpeTrainerTests
{
    private static string[] Sotu() =>
        Directory.GetFiles(Path.Combine(FixtureRoot.RepoRoot, "tests", "data", "sotu-sample"), "*.txt").Order(StringComparer.Ordinal).Select(File.ReadAllText).ToArray();

    [Fact]
    public void Hand_computed_merges_and_tie_break()
    {
        // pieces: "ab" ×1, " ab" ×2, " ac" ×1 → (a,b) 3 and (Ġ,a) 3 tie; 'a' ranks before 'Ġ' (U+0120), so (a,b) first;
        // then (Ġ,ab) 2; then every pair occurs once, below min frequency 2.
        var words = BpeTrainer.CountWords(["ab ab ab ac"]);
        Assert.Equal(new Dictionary<string, long> { ["ab"] = 1, ["Ġab"] = 2, ["Ġac"] = 1 }, words);
        Assert.Equal([("a", "b"), ("Ġ", "ab")], BpeTrainer.LearnMerges(words, 1000));
        // min frequency 1 goes on: (Ġ,a) 1 and (a,c) 1 tie, and 'a' ranks before 'Ġ'.
        Assert.Equal([("a", "b"), ("Ġ", "ab"), ("a", "c"), ("Ġ", "ac")], BpeTrainer.LearnMerges(words, 1000, minFrequency: 1));
        // The vocabulary size caps the merged tokens: 256 bytes + 1 merged + 2 special = 259.
        Assert.Equal([("a", "b")], BpeTrainer.LearnMerges(words, 259));
    }

    public static TheoryData<string, int, int> Corpora => new()
    {
        { "sotu", 600, 2 },
        { "sotu", 420, 1 },
        { "random-small-alphabet", 400, 1 }, // many ties
        { "repeats", 300, 1 },               // overlapping runs: aaaa, abab
        { "unicode", 330, 1 },
        { "word-counts", 300, 1 },
        { "long-piece", 420, 1 },            // one unbroken piece: merges next to merges, counts updated only around them
    };

    private static Dictionary<string, long> Words(string name) => name switch
    {
        "sotu" => BpeTrainer.CountWords(Sotu()),
        "random-small-alphabet" => BpeTrainer.CountWords([RandomText(new Rng(7), 4000)]),
        "long-piece" => BpeTrainer.CountWords([RandomText(new Rng(11), 3000).Replace(" ", "")]),
        "repeats" => BpeTrainer.CountWords(["aaaa aaa aa abab ababab a b ba aab aaab " + string.Join(" ", Enumerable.Repeat("aaaaa bbb ababa", 5))]),
        "unicode" => BpeTrainer.CountWords(["naïve café — 東京 東京タワー 😀😀 ok 😀 œuvre Ölçü ölçü 12345 6789 'll 's \r\n\t x"]),
        "word-counts" => new Dictionary<string, long> { ["bc"] = 5, ["ab"] = 4, ["abc"] = 3, ["xabcx"] = 1, ["cab"] = 2, ["bcab"] = 2 },
        _ => throw new ArgumentException(name),
    };

    private static string RandomText(Rng rng, int n)
    {
        var chars = new char[n];
        for (int i = 0; i < n; i++) chars[i] = "ab c"[rng.NextInt(4)];
        return new string(chars);
    }

    [Theory, MemberData(nameof(Corpora))]
    public void Incremental_trainer_equals_the_naive_algorithm(string corpus, int vocab, int minFrequency)
    {
        var words = Words(corpus);
        var expected = NaiveBpe.LearnMerges(words, vocab, minFrequency);
        var actual = BpeTrainer.LearnMerges(words, vocab, minFrequency);
        Assert.NotEmpty(expected);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Tokenizer_json_has_the_requested_size_specials_last_and_round_trips()
    {
        var texts = Sotu();
        var merges = BpeTrainer.LearnMerges(BpeTrainer.CountWords(texts), 512);
        var tok = HfTokenizer.FromJson(BpeTrainer.TokenizerJson(merges).ToJsonString());
        Assert.Equal(512, tok.VocabSize);
        Assert.Equal(510, tok.TokenToId(BpeTrainer.Bos));
        Assert.Equal(511, tok.TokenToId(BpeTrainer.Eos));
        Assert.Equal(510, tok.BosId);
        Assert.True(tok.IsSpecial(511));
        Assert.Equal(" the", tok.Decode([tok.TokenToId("Ġthe")!.Value])); // a frequent word is one token
        Assert.Equal([510, tok.TokenToId("Ġthe")!.Value], tok.Encode(" the", addSpecialTokens: true));
        foreach (var s in texts.Append("Unseen: naïve 東京 😀 ’quotes’ — 2021\r\n\ttabs  and   spaces "))
        {
            var ids = tok.Encode(s);
            Assert.Equal(s, tok.Decode(ids));
            Assert.All(ids, id => Assert.InRange(id, 0, 509));
        }
        // Merges compress: fewer tokens than bytes on the training text.
        Assert.True(tok.Encode(texts[0]).Length < 0.5 * System.Text.Encoding.UTF8.GetByteCount(texts[0]));
    }

    [Fact]
    public void Vocabulary_below_bytes_and_specials_is_refused()
    {
        var e = Assert.Throws<SpeechTokException>(() => BpeTrainer.LearnMerges(new Dictionary<string, long> { ["ab"] = 2 }, 257));
        Assert.Contains("257", e.Message);
    }
}
