using SpeechTok.Lm.Tokenization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using SpeechTok.Lm.Model;
using SpeechTok.Tensors;
using SpeechTok.Tensors.IO;
using SpeechTok.Tensors.Optim;

namespace SpeechTok.Training;

/// <summary>Size and training of the built-in LM (defaults: 2 layers, hidden 128, GQA 4/2 heads, 512 BPE merges).</summary>
public sealed record BuiltinLmOptions
{
    public int Hidden { get; init; } = 128;
    public int Layers { get; init; } = 2;
    public int Heads { get; init; } = 4;
    public int KvHeads { get; init; } = 2;
    public int Intermediate { get; init; } = 344;
    public int Merges { get; init; } = 512;
    public int Epochs { get; init; } = 3;
    public int BatchSize { get; init; } = 16;
    public int MaxLength { get; init; } = 128;
    public double Lr { get; init; } = 1e-2;
    public ulong Seed { get; init; } = 1234;

    public override string ToString() =>
        $"h{Hidden} l{Layers} a{Heads}/{KvHeads} i{Intermediate} m{Merges} e{Epochs} b{BatchSize} t{MaxLength} lr{Lr:R} s{Seed}";
}

/// <summary>
/// <c>--model builtin</c>: a small Llama (tied embeddings, GQA) with a byte-level BPE tokenizer learned from
/// the manifest's train texts, written as a Hugging Face folder (config.json, model.safetensors,
/// tokenizer.json, tokenizer_config.json) so it loads exactly like a downloaded model, and cached by a hash of
/// the texts and options.
/// Training choice: the transformer layers keep their seeded random initialisation (a fixed random-feature
/// backbone) and only the tied token embeddings learn, with causal LM, through the same new-row gradient
/// path pre-training uses (every token but id 0 is an "appended" row). This keeps the build to seconds on
/// 2 cores; the embeddings end up carrying the texts' statistics, which is what the later steps need.
/// </summary>
public static class BuiltinLm
{
    public const string Bos = BpeTrainer.Bos, Eos = BpeTrainer.Eos;

    /// <summary>The cached folder for these texts and options, built when absent.</summary>
    public static string Ensure(IReadOnlyList<string> texts, string cacheRoot, BuiltinLmOptions? options = null, Action<string>? log = null)
    {
        var o = options ?? new BuiltinLmOptions();
        if (texts.Count == 0) throw new SpeechTokException("the built-in LM needs training texts, but the train split has none");
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(Encoding.UTF8.GetBytes($"speechtok-builtin-lm v{RunFiles.FormatVersion} {o}\0"));
        foreach (var t in texts) sha.AppendData(Encoding.UTF8.GetBytes(t + "\0"));
        string dir = Path.Combine(cacheRoot, Convert.ToHexString(sha.GetHashAndReset())[..16].ToLowerInvariant());
        if (File.Exists(Path.Combine(dir, "model.safetensors"))) return dir;
        log?.Invoke($"training the built-in LM ({o}) on {texts.Count} texts into {dir}");
        RunFiles.ReplaceFolder(dir, tmp => Build(texts, o, tmp, log));
        return dir;
    }

    private static void Build(IReadOnlyList<string> texts, BuiltinLmOptions o, string dir, Action<string>? log)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var merges = BpeTrainer.LearnMerges(BpeTrainer.CountWords(texts), 256 + o.Merges + BpeTrainer.SpecialCount);
        log?.Invoke($"built-in LM: {merges.Count} BPE merges learned in {clock.Elapsed.TotalSeconds:F1} s");
        // Two merges may build the same string ("a"+"bc", "ab"+"c"); HF maps both to one id.
        int vocab = 256 + merges.Select(m => m.A + m.B).Distinct(StringComparer.Ordinal).Count() + 2, bos = vocab - 2, eos = vocab - 1;
        RunFiles.WriteJson(Path.Combine(dir, "tokenizer.json"), BpeTrainer.TokenizerJson(merges));
        RunFiles.WriteJson(Path.Combine(dir, "tokenizer_config.json"), new JsonObject { ["bos_token"] = Bos, ["eos_token"] = Eos, ["model_max_length"] = 2048 });
        var config = new LlamaShape(o.Hidden, o.Layers, o.Heads, o.KvHeads, o.Intermediate).ConfigJson(vocab, bos, eos, 2048);
        // Training view: one frozen row (id 0), every other token an appended, trainable row.
        var trainConfig = (JsonObject)config.DeepClone();
        trainConfig["vocab_size"] = 1;
        trainConfig.Remove("bos_token_id"); // ids of appended rows: outside this one-row view
        trainConfig.Remove("eos_token_id");
        var c = LlamaConfig.Parse(trainConfig.ToJsonString(), "built-in config");
        var tensors = LlamaShape.InitialWeights(c, o.Seed, scaledResidual: false);
        var weights = LlamaWeights.Load(c, n => tensors.TryGetValue(n, out var t) ? t : null);
        var rows = Tensor.Zeros(vocab - 1, o.Hidden);
        Rng.ForPurpose(o.Seed, "embed_tokens").FillNormal(rows.Span, 0, 0.02);
        weights.ExtendVocabulary(rows);

        var tok = Lm.Tokenization.HfTokenizer.FromJson(BpeTrainer.TokenizerJson(merges).ToJsonString(), "built-in tokenizer.json", Bos);
        var seqs = texts.Select(t => tok.EncodeWithBos(t)).Select(s => s.Length > o.MaxLength ? s[..o.MaxLength] : s).Where(s => s.Length > 1).ToArray();
        var p = Parameter.Rows("model.embed_tokens.weight", rows, 0, vocab - 1);
        var opt = new AdamW([p], o.Lr, weightDecay: 0);
        int perEpoch = (seqs.Length + o.BatchSize - 1) / o.BatchSize;
        var schedule = new LinearWarmupSchedule(o.Lr, Math.Max(1, perEpoch * o.Epochs / 20), perEpoch * o.Epochs);
        using var model = new LlamaForCausalLm(weights);
        var g = new float[(vocab - 1) * o.Hidden];
        for (int e = 0; e < o.Epochs; e++)
        {
            var order = Rng.ForPurpose(o.Seed, $"builtin.order.{e}").Permutation(seqs.Length);
            double sum = 0;
            long count = 0;
            for (int s = 0; s < perEpoch; s++)
            {
                var batch = Batch.Make(order[(s * o.BatchSize)..Math.Min(seqs.Length, (s + 1) * o.BatchSize)].Select(i => seqs[i]).ToList(), eos);
                Array.Clear(g);
                var loss = model.LossAndNewRowGradients(batch.Ids, batch.Mask, batch.LmLabels(), batch.B, batch.T, g, g);
                if (!double.IsFinite(loss.Sum)) throw new SpeechTokException($"built-in LM: loss is {loss.Sum} at epoch {e + 1}, batch {s}");
                sum += loss.Sum; count += loss.Count;
                g.CopyTo(p.Grad.Span);
                GradClip.ClipGradNorm([p], 1.0);
                opt.Lr = schedule.LrAt(opt.StepCount);
                opt.Step();
            }
            log?.Invoke($"built-in LM epoch {e + 1}/{o.Epochs}: train loss {sum / Math.Max(1, count):F4} ({clock.Elapsed.TotalSeconds:F1} s)");
        }
        var embed = Tensor.Zeros(vocab, o.Hidden);
        tensors["model.embed_tokens.weight"].ReadOnlySpan.CopyTo(embed.Span);
        rows.ReadOnlySpan.CopyTo(embed.Span.Slice(o.Hidden));
        tensors["model.embed_tokens.weight"] = embed;
        SafeTensors.Save(Path.Combine(dir, "model.safetensors"), tensors.Select(kv => (kv.Key, kv.Value)), new Dictionary<string, string> { ["format"] = "pt" });
        RunFiles.WriteJson(Path.Combine(dir, "config.json"), config);
    }
}
