using System.Text.Json.Serialization;
using SpeechTok.Evaluation;

namespace SpeechTok.Training;

/// <summary>
/// What <c>speechtok predict</c> writes for a sample: its bagged probabilities and the decision, <c>prediction</c>
/// (argmax) for single-label runs or <c>predicted_labels</c> (every label with p ≥ 0.5) for multi-label runs, with
/// their names (<c>predicted_label_name</c>, <c>predicted_label_names</c>) when the class names are known; in the batch form (JSON
/// lines) also the sample's key, id and manifest labels.
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
    /// <summary>The name of <see cref="Prediction"/> when the class names are known (HF pipelines call it <c>label</c>, which
    /// here would read as the manifest's true label); the id stays for machine readers.</summary>
    [JsonPropertyName("predicted_label_name")] public string? PredictedLabelName { get; init; }
    [JsonPropertyName("predicted_labels")] public int[]? PredictedLabels { get; init; }
    /// <summary>The names of <see cref="PredictedLabels"/>, in the same order, when the class names are known.</summary>
    [JsonPropertyName("predicted_label_names")] public string[]? PredictedLabelNames { get; init; }

    /// <param name="names">The names of classes 0..K−1 (<see cref="RunEvaluation.LabelNames"/>), or null: no name fields.</param>
    public static SamplePrediction Of(TaskKind task, float[] probabilities, IReadOnlyList<string>? names = null)
    {
        if (task == TaskKind.Multilabel)
        {
            var predicted = MultiLabelMetrics.Decide(probabilities);
            return new SamplePrediction { Probabilities = probabilities, PredictedLabels = predicted, PredictedLabelNames = names == null ? null : [.. predicted.Select(l => names[l])] };
        }
        int argmax = ClassificationMetrics.Argmax(probabilities);
        return new SamplePrediction { Probabilities = probabilities, Prediction = argmax, PredictedLabelName = names?[argmax] };
    }
}
