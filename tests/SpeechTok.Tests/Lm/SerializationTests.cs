using SpeechTok.Codec;
using System.Text.Json;
using System.Text.RegularExpressions;
using SpeechTok.Lm.Serialization;
using SpeechTok.Tests.Conformance;

namespace SpeechTok.Tests.Lm;

public sealed class SerializationTests
{
    private const int Codebook = 1024;
    private static readonly int[] AllLayers = [0, 1, 2, 3, 4, 5, 6, 7];

    /// <summary>Codes (8 layers) with one frame per rank: the feature's layer holds its code, the others 1023
    /// (never selected here), plus a leading frame with nothing selected.</summary>
    private static int[][] CodesFor(IReadOnlyList<int> features, IReadOnlyList<int> ranks)
    {
        Assert.DoesNotContain(features, f => f % Codebook == Codebook - 1);
        var codes = AllLayers.Select(_ => Enumerable.Repeat(Codebook - 1, ranks.Count + 1).ToArray()).ToArray();
        for (int t = 0; t < ranks.Count; t++)
        {
            int f = features[ranks[t]];
            codes[f / Codebook][t + 1] = f % Codebook;
        }
        return codes;
    }

    private static int[] SpreadFeatures(int n) => Enumerable.Range(0, n).Select(k => k * 683 + 17).ToArray();

    // ------------------------------------------------------------------ real Llama-3 tokenizer.json

    public static TheoryData<string> Folders => FixtureRoot.Data("llama3-tokenizer");

    /// <summary>Reference mode reproduces, id for id, the fixture's lines tokenized by HF in the original's format.</summary>
    [Theory]
    [MemberData(nameof(Folders))]
    public void ReferenceModeReproducesHfOnPretrainLines(string folder)
    {
        var tok = Llama3TokenizerConformanceTests.LoadFixtureTokenizer(folder);
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(FixtureRoot.Folder(folder), "added_tokens_cases.json")));
        var table = doc.RootElement.GetProperty("added_tokens").EnumerateArray().ToList();
        int n = table.Count(t => t.GetProperty("content").GetString()!.StartsWith("<audio_token_", StringComparison.Ordinal));
        var features = SpreadFeatures(n);
        var vocab = AudioVocabulary.Extend(tok, features, new AudioFeatureLayout(AllLayers, Codebook));
        foreach (var t in table)
            Assert.Equal(t.GetProperty("id").GetInt32(), tok.TokenToId(t.GetProperty("content").GetString()!));

        var serializer = new SampleSerializer(tok, vocab, SerializationMode.Reference, maxLength: 100_000);
        var line = new Regex(@"^<\|text\|> (.*) <\|text_end\|> <\|audio\|> (.*) <\|audio_end\|>$", RegexOptions.Singleline);
        int matched = 0;
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            string text = c.GetProperty("text").GetString()!;
            var m = line.Match(text);
            if (!m.Success) continue;
            int[] ranks = Regex.Matches(m.Groups[2].Value, @"<audio_token_(\d+)>").Select(x => int.Parse(x.Groups[1].Value)).ToArray();
            if (SampleSerializer.ReferenceLine(m.Groups[1].Value, ranks) != text) continue; // not in the original's exact format
            var sample = serializer.Serialize(m.Groups[1].Value, CodesFor(features, ranks));
            Assert.Equal(c.GetProperty("ids_with_bos").EnumerateArray().Select(x => x.GetInt32()), sample.Ids);
            Assert.False(sample.Truncated);
            matched++;
        }
        Assert.True(matched >= 3, $"only {matched} fixture cases are pre-training lines");
    }

    [Theory]
    [MemberData(nameof(Folders))]
    public void CompactAndTextOnlyOnLlama3(string folder)
    {
        var tok = Llama3TokenizerConformanceTests.LoadFixtureTokenizer(folder);
        var features = SpreadFeatures(12);
        var vocab = AudioVocabulary.Extend(tok, features, new AudioFeatureLayout(AllLayers, Codebook));
        Assert.Equal(128256, tok.PadId);
        Assert.Equal([128269, 128270, 128271, 128272], new[] { vocab.TextId, vocab.TextEndId, vocab.AudioId, vocab.AudioEndId });
        Assert.Equal(Enumerable.Range(128257, 12), vocab.AudioTokenIds);
        Assert.Equal(128273, tok.VocabSize);

        var compact = new SampleSerializer(tok, vocab);
        Assert.Equal(SerializationMode.Compact, compact.Mode);
        Assert.Equal(256, compact.MaxLength);
        // hello = 15339 and Ġworld = 1917 in the Llama-3 vocab (fixture README hand checks).
        Assert.Equal([128000, 128269, 15339, 1917, 128270, 128271, 128260, 128257, 128272],
            compact.Serialize("hello world", CodesFor(features, [3, 0])).Ids);
        Assert.Equal([128000, 128269, 15339, 1917, 128270, 128271, 128272], compact.Serialize("hello world", CodesFor(features, [])).Ids);

        var reference = new SampleSerializer(tok, vocab, SerializationMode.Reference);
        Assert.Equal([128000, 128269, 24748, 1917, 220, 128270, 220, 128271, 220, 128260, 220, 128257, 220, 128272],
            reference.Serialize("hello world", CodesFor(features, [3, 0])).Ids);

        Assert.Equal([128000, 15339, 1917], new SampleSerializer(tok, vocab, SerializationMode.TextOnly).Serialize("hello world", null).Ids);
        Assert.Equal([128000, 15339, 1917], new SampleSerializer(tok, null, SerializationMode.TextOnly).Serialize("hello world", null).Ids);

        var longAudio = CodesFor(features, Enumerable.Range(0, 300).Select(k => k % 12).ToArray());
        var cut = new SampleSerializer(tok, vocab, SerializationMode.Reference).Serialize("hello world", longAudio);
        Assert.True(cut.Truncated);
        Assert.Equal(256, cut.Ids.Length);
        Assert.Equal(8 + 2 * 300 + 2, cut.FullLength); // BOS <|text|> Ġhello Ġworld 220 <|text_end|> 220 <|audio|>, (220 tok)×300, 220 <|audio_end|>
        var fits = compact.Serialize("hello world", CodesFor(features, Enumerable.Range(0, 249).Select(k => k % 12).ToArray()));
        Assert.False(fits.Truncated);
        Assert.Equal(256, fits.Ids.Length);
    }

    // ------------------------------------------------------------------ hand-made tokenizer.json

    [Fact]
    public void CompactIsFrameMajorLayerMinorWithEveryOccurrence()
    {
        var tok = TinyTokenizer.Build();
        int[] usedLayers = [1, 2, 3];                         // "RVQ 2-4": feature = i·8 + code for used layer i
        int[] features = [2, 9, 21];                          // layer 1 code 2, layer 2 code 1, layer 3 code 5
        var vocab = AudioVocabulary.Extend(tok, features, new AudioFeatureLayout(usedLayers, 8));
        Assert.Equal(267, tok.PadId);
        Assert.Equal([268, 269, 270], vocab.AudioTokenIds);
        Assert.Equal([271, 272, 273, 274], new[] { vocab.TextId, vocab.TextEndId, vocab.AudioId, vocab.AudioEndId });
        Assert.Equal([268, 269, 270, 271, 272, 273, 274], vocab.NewTokenIds);

        int[][] codes =
        [
            [2, 2, 2, 2],   // RVQ layer 0 is not used: its codes never count
            [2, 0, 2, 2],   // used layer 0: code 2 → feature 2 (rank 0)
            [1, 1, 0, 1],   // used layer 1: code 1 → feature 9 (rank 1)
            [5, 0, 0, 5],   // used layer 2: code 5 → feature 21 (rank 2)
            [7, 7, 7, 7],   // RVQ layer 4 is not used
        ];
        Assert.Equal([0, 1, 2, 1, 0, 0, 1, 2], vocab.KeptRanks(codes));
        var ids = new SampleSerializer(tok, vocab).Serialize("hello", codes).Ids;
        Assert.Equal([266, 271, 259, 272, 273, 268, 269, 270, 269, 268, 268, 269, 270, 274], ids);
    }

    [Fact]
    public void ReferenceSpacesBecomeTokensOnHandMadeTokenizer()
    {
        var tok = TinyTokenizer.Build();
        var vocab = AudioVocabulary.Extend(tok, [0, 3], new AudioFeatureLayout([0], 4));
        var reference = new SampleSerializer(tok, vocab, SerializationMode.Reference);
        const int sp = 0x20; // Ġ
        // " hello" is one vocab entry (ignore_merges); each space between added tokens is Ġ.
        Assert.Equal([266, 270, 261, sp, 271, sp, 272, sp, 269, sp, 268, sp, 273], reference.Serialize("hello", [[3, 1, 0]]).Ids);
        // No kept feature: "<|audio|>  <|audio_end|>", two spaces (no ĠĠ merge in this vocab).
        Assert.Equal([266, 270, 261, sp, 271, sp, 272, sp, sp, 273], reference.Serialize("hello", [[1, 2]]).Ids);
        var cut = new SampleSerializer(tok, vocab, SerializationMode.Reference, maxLength: 4).Serialize("hello", [[1]]);
        Assert.Equal([266, 270, 261, sp], cut.Ids);
        Assert.True(cut.Truncated);
        Assert.Equal(10, cut.FullLength);
        Assert.Equal([266, 259], new SampleSerializer(tok, vocab, SerializationMode.TextOnly).Serialize("hello", null).Ids);
    }

    [Fact]
    public void CorpusSerialisationKeepsOrderAndNamesTheBadSample()
    {
        var tok = TinyTokenizer.Build();
        var vocab = AudioVocabulary.Extend(tok, [1, 2], new AudioFeatureLayout([0], 4));
        var ser = new SampleSerializer(tok, vocab, SerializationMode.Reference, maxLength: 12);
        var rng = new Random(5);
        var texts = Enumerable.Range(0, 300).Select(i => $"hello {i}").ToArray();
        var codes = Enumerable.Range(0, 300).Select(_ => (int[][]?)new[] { Enumerable.Range(0, rng.Next(0, 6)).Select(_ => rng.Next(4)).ToArray() }).ToArray();
        var all = ser.SerializeAll(texts, codes);
        for (int i = 0; i < texts.Length; i++) Assert.Equal(ser.Serialize(texts[i], codes[i]), all[i], new SampleComparer());
        Assert.InRange(all.Count(s => s.Truncated), 1, 299);

        codes[123] = [[7]];
        var e = Assert.Throws<SpeechTokException>(() => ser.SerializeAll(texts, codes));
        Assert.StartsWith("sample 123: code 7", e.Message);
        Assert.Throws<SpeechTokException>(() => ser.SerializeAll(texts, codes[..10]));
    }

    private sealed class SampleComparer : IEqualityComparer<SerializedSample>
    {
        public bool Equals(SerializedSample a, SerializedSample b) => a.FullLength == b.FullLength && a.Ids.SequenceEqual(b.Ids);
        public int GetHashCode(SerializedSample s) => s.FullLength;
    }

    [Fact]
    public void ConfigJsonHasTheOriginalsFields()
    {
        var vocab = AudioVocabulary.Extend(TinyTokenizer.Build(), [5, 9, 30], new AudioFeatureLayout([0, 1, 2, 3], 8));
        using var doc = JsonDocument.Parse(vocab.ToConfigJson("config_4layers_test"));
        var root = doc.RootElement;
        Assert.Equal("config_4layers_test", root.GetProperty("config_name").GetString());
        Assert.Equal(4, root.GetProperty("n_layers_rvq").GetInt32());
        Assert.Equal([5, 9, 30], root.GetProperty("selected_features").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal("<audio_token_2>", root.GetProperty("feature_to_token_map").GetProperty("30").GetString());
        Assert.Equal(AudioVocabulary.Markers, root.GetProperty("special_tokens").EnumerateArray().Select(e => e.GetString()!));
        Assert.Equal(7, root.GetProperty("total_new_tokens").GetInt32());
        Assert.Equal(["<audio_token_0>", "<audio_token_1>", "<audio_token_2>"], root.GetProperty("audio_tokens").EnumerateArray().Select(e => e.GetString()!));
    }

    [Fact]
    public void BadInputIsReportedClearly()
    {
        var tok = TinyTokenizer.Build();
        Assert.Contains("strictly ascending", Assert.Throws<SpeechTokException>(() => AudioVocabulary.Extend(tok, [3, 2], new AudioFeatureLayout([0], 4))).Message);
        Assert.Contains("outside 0..7", Assert.Throws<SpeechTokException>(() => AudioVocabulary.Extend(tok, [8], new AudioFeatureLayout([0, 1], 4))).Message);
        Assert.Contains("distinct", Assert.Throws<SpeechTokException>(() => AudioVocabulary.Extend(tok, [1], new AudioFeatureLayout([1, 1], 4))).Message);

        var vocab = AudioVocabulary.Extend(tok, [1], new AudioFeatureLayout([0, 2], 4));
        Assert.Contains("layer 3 is used", Assert.Throws<SpeechTokException>(() => vocab.KeptRanks([[1], [1]])).Message);
        Assert.Contains("frames", Assert.Throws<SpeechTokException>(() => vocab.KeptRanks([[1, 1], [0], [1]])).Message);
        Assert.Contains("code 9 at RVQ layer 3, frame 0", Assert.Throws<SpeechTokException>(() => vocab.KeptRanks([[1], [0], [9]])).Message);

        var compact = new SampleSerializer(tok, vocab);
        Assert.Contains("RVQ codes", Assert.Throws<SpeechTokException>(() => compact.Serialize("x", null)).Message);
        Assert.Throws<SpeechTokException>(() => new SampleSerializer(tok, null, SerializationMode.Compact));
        Assert.Throws<SpeechTokException>(() => new SampleSerializer(tok, vocab, maxLength: 0));

        // A tokenizer without BOS (Qwen2.5): samples start as its tokenizer's encode does, with the text.
        var noBos = TinyTokenizer.Build(bosToken: null);
        Assert.Equal(noBos.Encode("hello"), new SampleSerializer(noBos, null, SerializationMode.TextOnly).Serialize("hello", null).Ids);
        var noBosVocab = AudioVocabulary.Extend(noBos, [1], new AudioFeatureLayout([0], 4));
        var noBosIds = new SampleSerializer(noBos, noBosVocab).Serialize("hello", [[1]]).Ids;
        Assert.Equal([noBosVocab.TextId, .. noBos.Encode("hello"), noBosVocab.TextEndId, noBosVocab.AudioId, noBosVocab.AudioTokenIds[0], noBosVocab.AudioEndId], noBosIds);

        Assert.Equal(SerializationMode.Reference, SampleSerializer.ParseMode("reference"));
        Assert.Equal(SerializationMode.TextOnly, SampleSerializer.ParseMode("text-only"));
        Assert.Contains("expected compact", Assert.Throws<SpeechTokException>(() => SampleSerializer.ParseMode("spaced")).Message);
    }
}
