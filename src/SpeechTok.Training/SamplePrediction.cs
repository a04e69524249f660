using System.Text.Json.Serialization;
using SpeechTok.Evaluation;

namespace SpeechTok.Training;

/// <summary>
/// What <c>speechtok predict</c> writes for a sample: its bagged probabilities and the decision, <c>prediction</c>
/// (argmax) for single-label runs or <c>predicted_labels</c> (every label with p ≥ 0.5) for multi-label runs; in
/// the batch form (JSON lines) also the sample's key, id and manifest labels.
/// </summary>
public sealed record SamplePrediction
{
    [JsonPropertyName("key")] public string? Key { get; init; }
    [JsonPropertyName("id")] public string? Id { get; init; }
    /// <summary>The manifest's labels of the sample (batch form); absent for an unlabelled sample.</summary>
    [JsonPropertyName("labels")] public int[]? Labels { get; init; }
    /// <summary>[num_labels]: mean over the run's seeds of the softmax (single-label) or per-label sigmoid (multi-label).</summary>
    [JsonPropertyName("probabilities")] public required float[] Probabilities { get; init; }
    [JsonPropertyName("prediction")] public int? Prediction { get; init; }
    [JsonPropertyName("predicted_labels")] public int[]? PredictedLabels { get; init; }

    public static SamplePrediction Of(TaskKind task, float[] probabilities) => task == TaskKind.Multilabel
        ? new SamplePrediction { Probabilities = probabilities, PredictedLabels = MultiLabelMetrics.Decide(probabilities) }
        : new SamplePrediction { Probabilities = probabilities, Prediction = ClassificationMetrics.Argmax(probabilities) };
}
