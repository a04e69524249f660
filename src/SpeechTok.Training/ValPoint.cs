using System.Text.Json.Serialization;

namespace SpeechTok.Training;

/// <summary>
/// The end-of-epoch validation of fine-tuning: class-weighted loss, the model-selection metric
/// (<see cref="Evaluation.ClassificationMetrics.SelectionName"/>) and macro-F1.
/// </summary>
public sealed record ValPoint(
    [property: JsonPropertyName("epoch")] int Epoch,
    [property: JsonPropertyName("step")] long Step,
    [property: JsonPropertyName("loss")] double Loss,
    [property: JsonPropertyName("metric")] double Metric,
    [property: JsonPropertyName("macro_f1")] double MacroF1);
