using System.Text.Json.Serialization;

namespace SpeechTok.Training;

/// <summary>One optimizer step of a training curve: the step's mean loss and learning rate; epoch is fractional (step / steps per epoch).</summary>
public sealed record TrainLossPoint(
    [property: JsonPropertyName("step")] long Step,
    [property: JsonPropertyName("epoch")] double Epoch,
    [property: JsonPropertyName("loss")] double Loss,
    [property: JsonPropertyName("lr")] double Lr);
