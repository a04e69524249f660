using System.Text.Json.Serialization;
using SpeechTok.IO;

namespace SpeechTok.Training;

/// <summary>checkpoint/state.json of one fine-tuning seed: counters, the best val metric so far, the dropout stream position and the curves.</summary>
public sealed record FinetuneState : IArtifact
{
    [JsonPropertyName("epochs_done")] public int EpochsDone { get; init; }
    [JsonPropertyName("best_metric")] public double BestMetric { get; init; }
    [JsonPropertyName("best_epoch")] public int BestEpoch { get; init; }
    [JsonPropertyName("epochs_without_improvement")] public int EpochsWithoutImprovement { get; init; }
    /// <summary>Early stopping fired.</summary>
    [JsonPropertyName("stopped")] public bool Stopped { get; init; }
    /// <summary>Dropout masks drawn so far (<see cref="Lm.Model.LoraAdapters.Step"/>), so a resumed run draws the same next masks.</summary>
    [JsonPropertyName("dropout_step")] public long DropoutStep { get; init; }
    [JsonPropertyName("train_loss")] public required IReadOnlyList<TrainLossPoint> TrainLoss { get; init; }
    [JsonPropertyName("val")] public required IReadOnlyList<ValPoint> Val { get; init; }

    public void Validate(string source)
    {
        if (EpochsDone < 1) throw new SpeechTokException($"{source}: epochs_done is {EpochsDone}, expected ≥ 1");
    }
}
