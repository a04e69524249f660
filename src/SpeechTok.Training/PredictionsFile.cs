using System.Text.Json.Serialization;
using SpeechTok.Evaluation;
using SpeechTok.IO;

namespace SpeechTok.Training;

/// <summary>seed-S/predictions-SPLIT.json: per sample of a split, its key, true labels, class probabilities and argmax.</summary>
public sealed record PredictionsFile : IArtifact
{
    /// <summary>Files written before the version field existed are this same version 1.</summary>
    public static readonly ArtifactKind Kind = new("predictions", "speechtok-predictions", Version: 1, UnmarkedVersion: 1);

    public static string FileName(string split) => $"predictions-{split}.json";

    [JsonPropertyName("split")] public required string Split { get; init; }
    [JsonPropertyName("keys")] public required string[] Keys { get; init; }
    [JsonPropertyName("labels")] public required int[][] Labels { get; init; }
    /// <summary>[samples][labels]: softmax, or per-label sigmoid for multi-label tasks.</summary>
    [JsonPropertyName("probabilities")] public required float[][] Probabilities { get; init; }
    [JsonPropertyName("predictions")] public required int[] Predictions { get; init; }

    public static PredictionsFile From(EncodedSet set, float[][] probs) => new()
    {
        Split = set.Name, Keys = set.Keys, Labels = set.Labels, Probabilities = probs,
        Predictions = probs.Select(p => ClassificationMetrics.Argmax(p)).ToArray(),
    };

    public static PredictionsFile Load(string path) => ArtifactJson.Load<PredictionsFile>(path, Kind);

    public void Save(string path) => ArtifactJson.Save(path, this, Kind);

    public void Validate(string source)
    {
        if (Labels.Length != Keys.Length || Probabilities.Length != Keys.Length || Predictions.Length != Keys.Length)
            throw new SpeechTokException($"{source}: keys, labels, probabilities and predictions differ in length");
        foreach (var p in Probabilities)
            foreach (var v in p)
                if (!float.IsFinite(v)) throw new SpeechTokException($"{source}: a probability is {v}");
    }
}
