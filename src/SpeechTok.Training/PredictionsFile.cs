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

    /// <summary>
    /// Loads a seed's predictions for scoring in a run of <paramref name="task"/> with <paramref name="numLabels"/> classes:
    /// <see cref="Load(string)"/>, then every probability row has <paramref name="numLabels"/> entries and every label lies in
    /// 0..K−1, once per sample (a single-label task takes exactly one); an edited file otherwise crashed the metrics or was scored as it was.
    /// </summary>
    /// <param name="numLabelsSource">Where the class count comes from, as messages name it ("RUN/run.json num_labels").</param>
    /// <exception cref="SpeechTokException">Naming the file, the field and the sample.</exception>
    public static PredictionsFile Load(string path, TaskKind task, int numLabels, string numLabelsSource)
    {
        var p = Load(path);
        path = Path.GetFullPath(path);
        for (int i = 0; i < p.Keys.Length; i++)
        {
            string sample = $"(sample '{p.Keys[i]}')";
            if (p.Probabilities[i].Length != numLabels)
                throw new SpeechTokException($"{path}: probabilities[{i}] {sample} has {p.Probabilities[i].Length} entries, but {numLabelsSource} is {numLabels}");
            var labels = p.Labels[i];
            if (task != TaskKind.Multilabel && labels.Length != 1)
                throw new SpeechTokException($"{path}: labels[{i}] {sample} holds {labels.Length} labels; a {ExperimentResults.TaskName(task)} run's samples have exactly one");
            for (int j = 0; j < labels.Length; j++)
            {
                if ((uint)labels[j] >= (uint)numLabels)
                    throw new SpeechTokException($"{path}: labels[{i}] {sample}: label {labels[j]} is outside 0..{numLabels - 1} ({numLabelsSource} {numLabels})");
                if (Array.IndexOf(labels, labels[j]) < j) throw new SpeechTokException($"{path}: labels[{i}] {sample}: label {labels[j]} appears twice");
            }
        }
        return p;
    }

    public void Save(string path) => ArtifactJson.Save(path, this, Kind);

    /// <summary>Softmax and sigmoid outputs lie in [0, 1]; this much beyond is float rounding, not a damaged file.</summary>
    private const float Rounding = 1e-6f;

    public void Validate(string source)
    {
        if (Labels.Length != Keys.Length || Probabilities.Length != Keys.Length || Predictions.Length != Keys.Length)
            throw new SpeechTokException($"{source}: keys, labels, probabilities and predictions differ in length");
        for (int i = 0; i < Keys.Length; i++)
        {
            // JSON null inside the arrays passes the serializer's nullable check, which covers properties only.
            if (Labels[i] is null || Probabilities[i] is null)
                throw new SpeechTokException($"{source}: {(Labels[i] is null ? "labels" : "probabilities")}[{i}] is null, expected a list");
            for (int c = 0; c < Probabilities[i].Length; c++)
                if (!(Probabilities[i][c] >= -Rounding && Probabilities[i][c] <= 1 + Rounding))
                    throw new SpeechTokException($"{source}: probabilities[{i}][{c}] (sample '{Keys[i]}') is {Probabilities[i][c]}, expected a probability in [0, 1]");
        }
    }
}
