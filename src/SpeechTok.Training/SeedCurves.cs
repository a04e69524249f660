using System.Text.Json.Serialization;
using SpeechTok.IO;

namespace SpeechTok.Training;

/// <summary>seed-S/curves.json of a fine-tuning run: the best epoch, its val metric and both curves.</summary>
public sealed record SeedCurves : IArtifact
{
    public const string FileName = "curves.json";
    /// <summary>Files written before the version field existed are this same version 1.</summary>
    public static readonly ArtifactKind Kind = new("fine-tuning curves", "speechtok-curves", Version: 1, UnmarkedVersion: 1);

    [JsonPropertyName("seed")] public int Seed { get; init; }
    [JsonPropertyName("best_epoch")] public int BestEpoch { get; init; }
    [JsonPropertyName("best_val_metric")] public double BestValMetric { get; init; }
    /// <summary>Name of the model-selection metric (<see cref="Evaluation.ClassificationMetrics.SelectionName"/>).</summary>
    [JsonPropertyName("metric")] public required string Metric { get; init; }
    [JsonPropertyName("train_loss")] public required IReadOnlyList<TrainLossPoint> TrainLoss { get; init; }
    [JsonPropertyName("val")] public required IReadOnlyList<ValPoint> Val { get; init; }

    public static SeedCurves Load(string path) => ArtifactJson.Load<SeedCurves>(path, Kind);

    public void Save(string path) => ArtifactJson.Save(path, this, Kind);

    public void Validate(string source)
    {
        if (BestEpoch < 0 || BestEpoch > Val.Count) throw new SpeechTokException($"{source}: best_epoch {BestEpoch} is outside 0..{Val.Count}");
    }
}
