using System.Text.Json.Serialization;

namespace SpeechTok.Training;

/// <summary>metrics.jsonl's line of one optimizer step of <c>lm train</c>.</summary>
public sealed record LmTrainLine : LmMetricsLine
{
    public const string TypeName = "train";

    [JsonPropertyName("type"), JsonPropertyOrder(-2)] public string Type => TypeName;
    /// <summary>Mean training loss per token of the step (nats).</summary>
    [JsonPropertyName("loss")] public required double Loss { get; init; }
    /// <summary>Learning rate of the step.</summary>
    [JsonPropertyName("lr")] public required double Lr { get; init; }
    /// <summary>Global L2 norm of the gradients before clipping.</summary>
    [JsonPropertyName("grad_norm")] public required double GradNorm { get; init; }
    /// <summary>Training tokens seen up to and including the step.</summary>
    [JsonPropertyName("tokens")] public required long Tokens { get; init; }
    /// <summary>Wall seconds of the run so far, over every session.</summary>
    [JsonPropertyName("seconds")] public required double Seconds { get; init; }
}
