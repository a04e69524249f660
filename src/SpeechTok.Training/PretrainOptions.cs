using System.Text.Json.Serialization;

namespace SpeechTok.Training;

/// <summary>Step 2 hyper-parameters (METHOD §3.4 defaults); recorded as pretrain.json's <c>hyperparameters</c>.</summary>
public sealed record PretrainOptions
{
    [JsonPropertyName("lr")] public double Lr { get; init; } = 3e-4;
    [JsonPropertyName("epochs")] public int Epochs { get; init; } = 5;
    [JsonPropertyName("batch_size")] public int BatchSize { get; init; } = 8;
    /// <summary>Micro-batches whose gradients are summed per optimizer step (<c>--gradient-accumulation-steps</c>, HF TrainingArguments' name; alias <c>--accumulation</c>).</summary>
    [JsonPropertyName("gradient_accumulation_steps")] public int Accumulation { get; init; } = 4;
    /// <summary>Reads <see cref="Accumulation"/> from files written before it took HF's name (pretrain.json, checkpoint/state.json); never written.</summary>
    [JsonInclude, JsonPropertyName("gradient_accumulation"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    private int? OldAccumulation { get => null; init { if (value is int v) Accumulation = v; } }
    [JsonPropertyName("warmup_ratio")] public double WarmupRatio { get; init; } = 0.05;
    [JsonPropertyName("eval_fraction")] public double EvalFraction { get; init; } = 0.1;
    [JsonPropertyName("evals_per_epoch")] public int EvalsPerEpoch { get; init; } = 2;
    [JsonPropertyName("patience")] public int Patience { get; init; } = 3;
    [JsonPropertyName("max_grad_norm")] public double MaxGradNorm { get; init; } = 1.0;
    [JsonPropertyName("seed")] public ulong Seed { get; init; } = 42;
    /// <summary>AdamW weight decay: 0, the method's (recorded, not an option).</summary>
    [JsonPropertyName("weight_decay")] public double WeightDecay => 0.0;

    /// <summary>Checks every option before anything is written; errors name the CLI option.</summary>
    public void Validate()
    {
        if (!(Lr > 0 && double.IsFinite(Lr))) throw new SpeechTokException($"--lr {Lr}: must be a positive number");
        if (Epochs < 1) throw new SpeechTokException($"--epochs {Epochs}: must be at least 1");
        if (BatchSize < 1 || Accumulation < 1) throw new SpeechTokException($"--batch-size {BatchSize} and --gradient-accumulation-steps {Accumulation}: must be at least 1");
        if (!(WarmupRatio is >= 0 and <= 1)) throw new SpeechTokException($"--warmup-ratio {WarmupRatio}: must be in [0, 1]");
        if (!(EvalFraction is > 0 and < 1)) throw new SpeechTokException($"--eval-fraction {EvalFraction}: must be in (0, 1)");
        if (EvalsPerEpoch < 1) throw new SpeechTokException($"--evals-per-epoch {EvalsPerEpoch}: must be at least 1");
        if (Patience < 1) throw new SpeechTokException(FinetuneOptions.PatienceError(Patience));
        if (!(MaxGradNorm >= 0 && double.IsFinite(MaxGradNorm))) throw new SpeechTokException($"--max-grad-norm {MaxGradNorm}: must be a finite number ≥ 0 (0: no clipping)");
    }
}
