using System.Text.Json.Serialization;

namespace SpeechTok.Training;

/// <summary>One evaluation of pre-training: token-weighted causal-LM loss on the held-out samples after <see cref="Step"/>.</summary>
public sealed record EvalLossPoint(
    [property: JsonPropertyName("step")] long Step,
    [property: JsonPropertyName("epoch")] double Epoch,
    [property: JsonPropertyName("loss")] double Loss);
