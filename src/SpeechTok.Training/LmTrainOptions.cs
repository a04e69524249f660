using System.Text.Json.Serialization;
using SpeechTok.Lm.Tokenization;

namespace SpeechTok.Training;

/// <summary>
/// Hyper-parameters of <c>speechtok lm train</c> (docs/lm-pretraining.md gives the reasons for the defaults). A run
/// from scratch has a <see cref="VocabSize"/> and a <see cref="Shape"/>; a continued pre-training run has
/// <see cref="InitFrom"/> instead and takes both from that model.
/// </summary>
public sealed record LmTrainOptions
{
    /// <summary>The built-in model's vocabulary (tokens in all) and shape: the defaults of a run from scratch.</summary>
    public const int DefaultVocabSize = 8192;
    /// <inheritdoc cref="DefaultVocabSize"/>
    public static readonly LlamaShape DefaultShape = new(256, 4, 4, 2, 768);
    public const int DefaultWarmupSteps = 200;

    // Written even when null (continued runs), so that reading back does not restore the defaults.
    [JsonPropertyName("vocab_size"), JsonIgnore(Condition = JsonIgnoreCondition.Never)] public int? VocabSize { get; init; } = DefaultVocabSize;
    [JsonPropertyName("shape"), JsonIgnore(Condition = JsonIgnoreCondition.Never)] public LlamaShape? Shape { get; init; } = DefaultShape;
    /// <summary>
    /// Continued pre-training: start from this model (a Hugging Face Llama-family folder or <c>builtin</c>), with its
    /// tokenizer and config, instead of a new BPE and random weights (as HF <c>run_clm.py --model_name_or_path</c>).
    /// Set <see cref="VocabSize"/> and <see cref="Shape"/> to null with it (<see cref="Validate"/> refuses them).
    /// </summary>
    [JsonPropertyName("init_from")] public string? InitFrom { get; init; }
    [JsonPropertyName("seq_len")] public int SeqLen { get; init; } = 256;
    [JsonPropertyName("batch_size")] public int BatchSize { get; init; } = 16;
    [JsonPropertyName("grad_accum")] public int GradAccum { get; init; } = 1;
    [JsonPropertyName("lr")] public double Lr { get; init; } = 3e-3;
    [JsonPropertyName("min_lr")] public double MinLr { get; init; } = 3e-4;
    [JsonPropertyName("warmup_steps")] public int WarmupSteps { get; init; } = DefaultWarmupSteps;
    [JsonPropertyName("max_steps")] public int MaxSteps { get; init; } = 2000;
    [JsonPropertyName("weight_decay")] public double WeightDecay { get; init; } = 0.1;
    [JsonPropertyName("adam_beta1")] public double Beta1 { get; init; } = 0.9;
    [JsonPropertyName("adam_beta2")] public double Beta2 { get; init; } = 0.95;
    [JsonPropertyName("max_grad_norm")] public double MaxGradNorm { get; init; } = 1.0;
    [JsonPropertyName("seed")] public ulong Seed { get; init; } = 1234;
    [JsonPropertyName("eval_every")] public int EvalEvery { get; init; } = 100;
    [JsonPropertyName("checkpoint_every")] public int CheckpointEvery { get; init; } = 100;
    [JsonPropertyName("eval_batch_size")] public int EvalBatchSize { get; init; } = 8;

    /// <summary>The JSON fields that determine the weights: a resumed run must have the same ones (evaluation and checkpoint intervals may change).</summary>
    public static readonly string[] WeightFields =
        ["vocab_size", "shape", "seq_len", "batch_size", "grad_accum", "lr", "min_lr", "warmup_steps", "max_steps", "weight_decay", "adam_beta1", "adam_beta2", "max_grad_norm", "seed"];

    /// <summary>Token positions one optimizer step processes.</summary>
    [JsonIgnore] public long TokensPerStep => (long)BatchSize * GradAccum * SeqLen;

    /// <summary>Checks every option; errors name the CLI option.</summary>
    public void Validate()
    {
        if (InitFrom != null)
        {
            if (VocabSize != null || Shape != null)
                throw new SpeechTokException("--init-from takes the vocabulary and shape from its model: drop --vocab-size, --hidden, --layers, --heads, --kv-heads and --intermediate");
        }
        else if (VocabSize == null || Shape == null) throw new SpeechTokException("a run from scratch needs --vocab-size and the model shape");
        if (Shape != null)
        {
            Shape.Validate();
            CheckWeightSizes(Shape, VocabSize!.Value);
            // From scratch the head size is --hidden/--heads, so the attention's width is --hidden.
            CheckBatchSizes(Shape.Hidden, Shape.Hidden, Shape.Intermediate);
        }
        if (VocabSize < 256 + BpeTrainer.SpecialCount) throw new SpeechTokException($"--vocab-size {VocabSize} must be at least {256 + BpeTrainer.SpecialCount} (256 bytes and 2 special tokens)");
        if (SeqLen < 2) throw new SpeechTokException($"--seq-len {SeqLen} must be at least 2");
        if (BatchSize < 1 || GradAccum < 1 || EvalBatchSize < 1) throw new SpeechTokException($"--batch-size {BatchSize}, --gradient-accumulation-steps {GradAccum} and --eval-batch-size {EvalBatchSize} must be positive");
        if (MaxSteps < 1) throw new SpeechTokException($"--max-steps {MaxSteps} must be positive");
        if (WarmupSteps < 0) throw new SpeechTokException($"--warmup-steps {WarmupSteps} must be non-negative");
        // The warm-up would end after the last step: the learning rate would never reach --lr, and no cosine decay would follow.
        if (WarmupSteps > MaxSteps)
            throw new SpeechTokException($"--warmup-steps {WarmupSteps} exceeds --max-steps {MaxSteps} (given, or from --max-tokens): the learning rate would never reach --lr; "
                + $"give --warmup-steps of at most {MaxSteps} (default {DefaultWarmupSteps})");
        // Finite too: an infinite value trained nothing useful and could not even be written to training_run.json.
        if (!(Lr > 0 && double.IsFinite(Lr)) || !(MinLr >= 0) || MinLr > Lr) throw new SpeechTokException($"need 0 ≤ --min-lr ({MinLr}) ≤ --lr ({Lr}) and --lr a finite number > 0");
        if (!(WeightDecay >= 0 && double.IsFinite(WeightDecay))) throw new SpeechTokException($"--weight-decay {WeightDecay} must be a finite number ≥ 0");
        if (!(Beta1 >= 0 && Beta1 < 1) || !(Beta2 >= 0 && Beta2 < 1)) throw new SpeechTokException($"Adam betas ({Beta1}, {Beta2}) must be in [0, 1)");
        if (!(MaxGradNorm >= 0 && double.IsFinite(MaxGradNorm))) throw new SpeechTokException($"--max-grad-norm {MaxGradNorm}: must be a finite number ≥ 0 (0: no clipping)");
        if (EvalEvery < 1 || CheckpointEvery < 1) throw new SpeechTokException($"--eval-steps {EvalEvery} and --save-steps {CheckpointEvery} must be positive");
    }

    /// <summary>
    /// Refuses batches whose activations one buffer cannot hold: the engine indexes a layer's activations, [batch · seq-len,
    /// width], with int, so their values must stay within int.MaxValue. In long arithmetic, before anything is written.
    /// </summary>
    /// <param name="attention">Query heads × head size (with <paramref name="hidden"/> and <paramref name="intermediate"/>, the widths of a row).</param>
    public void CheckBatchSizes(int hidden, int attention, int intermediate)
    {
        long width = Math.Max(hidden, Math.Max(attention, intermediate));
        foreach (var (batch, option) in new[] { (BatchSize, "--batch-size"), (EvalBatchSize, "--eval-batch-size") })
        {
            long rows = (long)batch * SeqLen;
            if (rows * width > int.MaxValue)
                throw new SpeechTokException($"{option} {batch} × --seq-len {SeqLen} = {rows:N0} positions of {width:N0} activations each is {rows * width:N0} values, "
                    + $"more than one buffer holds ({int.MaxValue:N0}): lower {option} or --seq-len");
        }
    }

    /// <summary>Refuses a shape whose largest weight matrices (the embedding table, the attention and MLP projections) exceed one float32 buffer.</summary>
    private static void CheckWeightSizes(LlamaShape shape, int vocab)
    {
        foreach (var (rows, what, options) in new[] { (vocab, "the embedding table", "--vocab-size or --hidden"), (shape.Hidden, "an attention projection", "--hidden"),
                     (shape.Intermediate, "an MLP projection", "--intermediate or --hidden") })
        {
            long n = (long)rows * shape.Hidden;
            if (n > Array.MaxLength)
                throw new SpeechTokException($"model shape: {what}, [{rows}, {shape.Hidden}], is {n:N0} values, more than one buffer holds ({Array.MaxLength:N0}): lower {options}");
        }
    }
}
