using System.Text.Json.Serialization;

namespace SpeechTok.Training;

/// <summary>The curves of a pre-training run (pretrain.json's <c>curves</c>) and the sizes of its train/eval split.</summary>
public sealed record PretrainCurves
{
    [JsonPropertyName("train_loss")] public required IReadOnlyList<TrainLossPoint> TrainLoss { get; init; }
    [JsonPropertyName("eval_loss")] public required IReadOnlyList<EvalLossPoint> EvalLoss { get; init; }
    [JsonPropertyName("eval_samples")] public int EvalSamples { get; init; }
    [JsonPropertyName("train_samples")] public int TrainSamples { get; init; }
    /// <summary>Samples cut at the maximum length.</summary>
    [JsonPropertyName("truncated")] public int Truncated { get; init; }
}
