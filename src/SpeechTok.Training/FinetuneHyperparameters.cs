using System.Text.Json.Serialization;
using SpeechTok.Evaluation;
using SpeechTok.Lm.Model;

namespace SpeechTok.Training;

/// <summary>run.json's <c>hyperparameters</c>: the <see cref="FinetuneOptions"/> of the run with the epochs resolved for its task.</summary>
public sealed record FinetuneHyperparameters
{
    [JsonPropertyName("lr")] public double Lr { get; init; }
    [JsonPropertyName("epochs")] public int Epochs { get; init; }
    [JsonPropertyName("batch_size")] public int BatchSize { get; init; }
    [JsonPropertyName("warmup_ratio")] public double WarmupRatio { get; init; }
    [JsonPropertyName("patience")] public int Patience { get; init; }
    [JsonPropertyName("lora_r")] public int LoraRank { get; init; }
    [JsonPropertyName("lora_alpha")] public float LoraAlpha { get; init; }
    [JsonPropertyName("lora_dropout")] public float LoraDropout { get; init; }
    /// <summary>PEFT target_modules; absent (null) for the default q_proj, v_proj, so run folders made before the option keep their identity.</summary>
    [JsonPropertyName("lora_target_modules"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string[]? LoraTargetModules { get; init; }
    /// <summary>LLaMA-Factory's finetuning_type; absent (null) for LoRA, so run folders made before the option keep their identity.</summary>
    [JsonPropertyName("finetuning_type"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? FinetuningType { get; init; }
    [JsonPropertyName("max_grad_norm")] public double MaxGradNorm { get; init; }
    [JsonPropertyName("weight_decay")] public double WeightDecay { get; init; }
    /// <summary>HF metric_for_best_model; absent (null) when it is the task's default, so run folders made before the option keep their identity.</summary>
    [JsonPropertyName("metric_for_best_model"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? MetricForBestModel { get; init; }
    [JsonPropertyName("seeds")] public required int[] Seeds { get; init; }

    public static FinetuneHyperparameters From(FinetuneOptions o, TaskKind task) => new()
    {
        Lr = o.Lr, Epochs = o.EpochsFor(task), BatchSize = o.BatchSize, WarmupRatio = o.WarmupRatio, Patience = o.Patience,
        LoraRank = o.LoraRank, LoraAlpha = o.LoraAlpha, LoraDropout = o.LoraDropout, MaxGradNorm = o.MaxGradNorm,
        LoraTargetModules = TargetsInLayerOrder(o) is var t && t.SequenceEqual(LoraAdapters.DefaultTargets) ? null : t,
        FinetuningType = o.FinetuningType == FinetuneOptions.Lora ? null : o.FinetuningType, WeightDecay = o.WeightDecay, Seeds = o.Seeds,
        MetricForBestModel = o.MetricForBestModel == ClassificationMetrics.SelectionName(task) ? null : o.MetricForBestModel,
    };

    private static string[] TargetsInLayerOrder(FinetuneOptions o) => LoraAdapters.LayerProjections.Where(o.LoraTargetModules.Contains).ToArray();
}
