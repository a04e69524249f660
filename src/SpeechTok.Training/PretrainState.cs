using System.Text.Json.Serialization;
using SpeechTok.IO;

namespace SpeechTok.Training;

/// <summary>checkpoint/state.json of pre-training: counters, the best eval loss so far and the curves up to the last finished epoch.</summary>
public sealed record PretrainState : IArtifact
{
    [JsonPropertyName("epochs_done")] public int EpochsDone { get; init; }
    [JsonPropertyName("best_eval_loss")] public double BestEvalLoss { get; init; }
    [JsonPropertyName("best_step")] public int BestStep { get; init; }
    [JsonPropertyName("evals_without_improvement")] public int EvalsWithoutImprovement { get; init; }
    /// <summary>Early stopping fired.</summary>
    [JsonPropertyName("stopped")] public bool Stopped { get; init; }
    [JsonPropertyName("train_loss")] public required IReadOnlyList<TrainLossPoint> TrainLoss { get; init; }
    [JsonPropertyName("eval_loss")] public required IReadOnlyList<EvalLossPoint> EvalLoss { get; init; }
    /// <summary>What the run was started with (pretrain.json's fields, no results yet), so a rerun with other settings is refused; null in older checkpoints.</summary>
    [JsonPropertyName("settings")] public PretrainFile? Settings { get; init; }

    public void Validate(string source)
    {
        if (EpochsDone < 1) throw new SpeechTokException($"{source}: epochs_done is {EpochsDone}, expected ≥ 1");
    }
}
