using SpeechTok.Lm.Model;
using SpeechTok.Tests.Conformance;
using SpeechTok.Training;
using static SpeechTok.Tests.Lm.ModelTestData;

namespace SpeechTok.Tests.Lm;

/// <summary>
/// Incremental decoding with a KV cache (<see cref="LlamaForCausalLm.NextTokenLogits"/>, <see cref="LlamaKvCache"/>)
/// against the full forward over the whole prefix (<see cref="LlamaForCausalLm.Logits"/>), which generation ran for
/// every token before: the same last-position logits up to float rounding at every step, and the same greedy tokens.
/// </summary>
public sealed class KvCacheGenerationTests
{
    private const float Tolerance = 1e-4f;

    /// <summary>The last row of the full forward over <paramref name="ids"/>, [vocab].</summary>
    private static float[] FullLastLogits(LlamaForCausalLm lm, int[] ids) =>
        lm.Logits(ids, [], 1, ids.Length).AsSpan((ids.Length - 1) * lm.VocabSize, lm.VocabSize).ToArray();

    /// <summary>|cached − full| ≤ 1e-4 · max(1, max |full|) element-wise, and the logits are not all equal (a check that sees something).</summary>
    private static void AssertClose(float[] full, float[] cached, string where)
    {
        Assert.Equal(full.Length, cached.Length);
        float scale = Math.Max(1f, full.Max(MathF.Abs)), worst = 0;
        for (int i = 0; i < full.Length; i++) worst = Math.Max(worst, MathF.Abs(full[i] - cached[i]));
        Assert.True(worst <= Tolerance * scale, $"{where}: cached logits differ from the full forward's by {worst} (scale {scale})");
        Assert.True(full.Max() - full.Min() > 1e-3f, $"{where}: flat logits, the comparison would see nothing");
    }

    /// <summary>Prefills <paramref name="promptLength"/> ids of <paramref name="seq"/>, then feeds the rest in chunks of
    /// <paramref name="chunk"/> (1: one token per step, as generation), comparing with the full forward after each.</summary>
    private static void AssertStepsMatch(LlamaForCausalLm lm, int[] seq, int promptLength, int chunk = 1)
    {
        using var past = new LlamaKvCache(lm.Model.Config, seq.Length);
        for (int end = promptLength; ; end = Math.Min(end + chunk, seq.Length))
        {
            var cached = lm.NextTokenLogits(seq.AsSpan(past.Length, end - past.Length), past);
            Assert.Equal(end, past.Length);
            AssertClose(FullLastLogits(lm, seq[..end]), cached, $"prompt {promptLength}, position {end - 1}");
            if (end == seq.Length) break;
        }
    }

    private static int[] Sequence(int n, int vocab, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => rng.Next(vocab)).ToArray();
    }

    /// <summary>Random tiny configs: GQA (4 query heads over 2 KV heads) with llama3 rope scaling; Qwen2's q/k/v biases
    /// (and MLP biases, appended vocabulary rows); untied, three layers.</summary>
    [Theory]
    [InlineData("llama", 1, 1)]
    [InlineData("llama", 5, 1)]
    [InlineData("qwen-bias", 3, 1)]
    [InlineData("qwen-bias", 4, 3)]
    [InlineData("untied-3-layers", 2, 1)]
    [InlineData("untied-3-layers", 7, 2)]
    public void Cached_logits_equal_the_full_forward_at_every_step(string variant, int promptLength, int chunk)
    {
        var c = variant switch
        {
            "llama" => Config(),
            "qwen-bias" => Config(qwen: true, mlpBias: true),
            _ => Config(tied: false, layers: 3),
        };
        var w = Load(c, Weights(c, 7));
        if (variant == "qwen-bias") w.ExtendVocabulary(Rows(3, c.HiddenSize, 5));
        Assert.True(c.NumKvHeads < c.NumHeads);
        Assert.Equal(variant == "qwen-bias", c.QkvBias);
        using var lm = new LlamaForCausalLm(w);
        AssertStepsMatch(lm, Sequence(14, lm.VocabSize, promptLength), promptLength, chunk);
    }

    /// <summary>The HF-exported fixtures (tied and untied, GQA, llama3 rope scaling): logits step by step, and greedy
    /// decoding through the cache gives the full forward's argmax token for token.</summary>
    [Theory]
    [InlineData("llama-tiny")]
    [InlineData("llama-tiny-untied")]
    public void Fixture_models_decode_with_the_cache_as_with_the_full_forward(string fixture)
    {
        using var ckpt = LlamaCheckpoint.Open(Path.Combine(FixtureRoot.RepoRoot, "tests", "fixtures", fixture));
        using var lm = new LlamaForCausalLm(ckpt.Weights);
        var seq = Sequence(24, lm.VocabSize, 3);
        AssertStepsMatch(lm, seq, 6);
        AssertStepsMatch(lm, seq, 1);

        var prompt = seq[..5];
        var full = new List<int>(prompt);
        for (int k = 0; k < 20; k++) full.Add(ArgMax(FullLastLogits(lm, [.. full])));
        var cachedSeq = new List<int>(prompt);
        using var past = new LlamaKvCache(ckpt.Config, 25);
        for (int k = 0; k < 20; k++) cachedSeq.Add(ArgMax(lm.NextTokenLogits(cachedSeq.ToArray().AsSpan(past.Length), past)));
        Assert.Equal(full, cachedSeq);
    }

    /// <summary>The shipped built-in LM: <see cref="LmGeneration.Generate"/> (cached) gives the greedy tokens of the full
    /// forward over the prefix (what generation ran before the cache) for the README's prompt.</summary>
    [Fact]
    public void Builtin_greedy_generation_equals_the_uncached_argmax_loop()
    {
        using var lm = CausalLmFolder.Open(Path.Combine(FixtureRoot.RepoRoot, "models", "builtin-lm"));
        const string prompt = "The state of our economy";
        var greedy = LmGeneration.Generate(lm, prompt, new GenerateOptions { MaxNewTokens = 40, Temperature = 0 });
        Assert.Equal(UncachedGreedy(lm, lm.Tokenizer.EncodeWithBos(prompt), 40), greedy);
    }

    /// <summary>--max-new-tokens 2147483647 ("until EOS") overflowed the prompt-plus-continuation length into a negative cache
    /// capacity; it generates as any count does (stopped here by the caller after 5 tokens).</summary>
    [Fact]
    public void The_largest_max_new_tokens_generates_as_a_small_one()
    {
        using var lm = CausalLmFolder.Open(Path.Combine(FixtureRoot.RepoRoot, "models", "builtin-lm"));
        var seen = new List<int>();
        Assert.Throws<OperationCanceledException>(() => LmGeneration.Generate(lm, "The state", new GenerateOptions { MaxNewTokens = int.MaxValue, Temperature = 0 },
            id => { seen.Add(id); if (seen.Count == 5) throw new OperationCanceledException(); }));
        Assert.Equal(LmGeneration.Generate(lm, "The state", new GenerateOptions { MaxNewTokens = 5, Temperature = 0 }), seen);
    }

    /// <summary>Past max_position_embeddings generation keeps the last window (positions from 0), as without a cache: a
    /// copy of the built-in LM with max_position_embeddings 12 decodes 30 tokens as the uncached loop over the last 12 does.</summary>
    [Fact]
    public void Generation_past_max_position_embeddings_sees_the_last_window_as_without_a_cache()
    {
        string dir = Directory.CreateTempSubdirectory("speechtok-kv-window-").FullName;
        try
        {
            foreach (var f in Directory.GetFiles(Path.Combine(FixtureRoot.RepoRoot, "models", "builtin-lm"))) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
            var config = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "config.json")))!.AsObject();
            config["max_position_embeddings"] = 12;
            File.WriteAllText(Path.Combine(dir, "config.json"), config.ToJsonString());
            using var lm = CausalLmFolder.Open(dir);
            const string prompt = "The state of our economy";
            var greedy = LmGeneration.Generate(lm, prompt, new GenerateOptions { MaxNewTokens = 30, Temperature = 0 });
            Assert.Equal(UncachedGreedy(lm, lm.Tokenizer.EncodeWithBos(prompt), 30, context: 12), greedy);
            Assert.True(lm.Tokenizer.EncodeWithBos(prompt).Length + greedy.Count > 14, "generation stopped before the window moved");
        }
        finally { Directory.Delete(dir, true); }
    }

    /// <summary>
    /// sliding_window (Mistral): a cached step attends the last sliding_window positions, as HF's mask. With one layer the
    /// keys and values of a position depend on its token alone and RoPE scores on relative positions only, so the last
    /// logits equal the full forward over the last window (up to rounding); over the whole prefix they differ. A prefill
    /// longer than the window, which the full causal kernel would not window, is refused.
    /// </summary>
    [Fact]
    public void A_cached_step_attends_only_the_last_sliding_window_positions()
    {
        const int window = 4;
        var c = Config(layers: 1) with { SlidingWindow = window };
        using var lm = new LlamaForCausalLm(Load(c, Weights(c, 11, scale: 1f)));
        var seq = Sequence(10, lm.VocabSize, 2);
        using var past = new LlamaKvCache(c, seq.Length);
        var cached = lm.NextTokenLogits(seq.AsSpan(0, 3), past);
        for (int end = 4; end <= seq.Length; end++)
        {
            cached = lm.NextTokenLogits(seq.AsSpan(end - 1, 1), past);
            AssertClose(FullLastLogits(lm, seq[Math.Max(0, end - window)..end]), cached, $"position {end - 1}");
        }
        var whole = FullLastLogits(lm, seq);
        Assert.True(whole.Zip(cached).Max(p => MathF.Abs(p.First - p.Second)) > 1e-3f, "the window changed nothing: the test would not see it");

        using var other = new LlamaKvCache(c, 16);
        Assert.Contains("exceeds the model's sliding_window 4", Assert.Throws<SpeechTokException>(() => lm.NextTokenLogits(seq.AsSpan(0, 5), other)).Message);
    }

    [Fact]
    public void A_cache_refuses_more_positions_than_its_capacity_and_another_models_shape()
    {
        var c = Config();
        using var lm = new LlamaForCausalLm(Load(c, Weights(c, 1)));
        using var past = new LlamaKvCache(c, 4);
        lm.NextTokenLogits([1, 2, 3], past);
        Assert.Contains("the KV cache holds 4 positions: 3 cached plus 2 new exceed it",
            Assert.Throws<SpeechTokException>(() => lm.NextTokenLogits([4, 5], past)).Message);
        Assert.Equal(3, past.Length);
        using var wrong = new LlamaKvCache(Config(layers: 3), 4);
        Assert.Contains("this KV cache was made for 3 layers", Assert.Throws<SpeechTokException>(() => lm.NextTokenLogits([1], wrong)).Message);
    }

    /// <summary>Greedy decoding as generation ran before the cache: the full forward over the last <paramref name="context"/>
    /// tokens for every new token, argmax over the tokenizer's ids, stopping at EOS.</summary>
    private static List<int> UncachedGreedy(CausalLmFolder lm, int[] prompt, int maxNew, int? context = null)
    {
        int window = context ?? lm.Config.MaxPositionEmbeddings;
        var ids = new List<int>(prompt);
        var added = new List<int>();
        for (int k = 0; k < maxNew; k++)
        {
            var w = ids.Skip(Math.Max(0, ids.Count - window)).ToArray();
            int next = ArgMax(FullLastLogits(lm.Model, w).AsSpan(0, lm.Tokenizer.VocabSize).ToArray());
            if (Array.IndexOf(lm.Config.EosTokenIds, next) >= 0) break;
            ids.Add(next);
            added.Add(next);
        }
        return added;
    }

    private static int ArgMax(float[] x)
    {
        int best = 0;
        for (int i = 1; i < x.Length; i++) if (x[i] > x[best]) best = i;
        return best;
    }
}
