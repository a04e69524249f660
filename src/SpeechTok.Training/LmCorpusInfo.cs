using System.Text.Json.Serialization;

namespace SpeechTok.Training;

/// <summary>The text <c>lm train</c> trained and evaluated on (training_metrics.json's <c>corpus</c>).</summary>
public sealed record LmCorpusInfo
{
    /// <summary><see cref="TextCorpus.Sha256"/> of the train documents (also in training_run.json: a resume needs the same).</summary>
    [JsonPropertyName("train_sha256")] public required string TrainSha256 { get; init; }
    /// <summary><see cref="TextCorpus.Sha256"/> of the held-out documents.</summary>
    [JsonPropertyName("valid_sha256")] public required string ValidSha256 { get; init; }
    [JsonPropertyName("train_documents")] public required int TrainDocuments { get; init; }
    [JsonPropertyName("valid_documents")] public required int ValidDocuments { get; init; }
    /// <summary>UTF-8 bytes of the train documents.</summary>
    [JsonPropertyName("train_bytes")] public required long TrainBytes { get; init; }
    /// <summary>UTF-8 bytes of the held-out documents.</summary>
    [JsonPropertyName("valid_bytes")] public required long ValidBytes { get; init; }
    /// <summary>The held-out documents' file names.</summary>
    [JsonPropertyName("valid_files")] public required IReadOnlyList<string> ValidFiles { get; init; }

    public static LmCorpusInfo Of(LmTrainSpec spec) => new()
    {
        TrainSha256 = TextCorpus.Sha256(spec.Train), ValidSha256 = TextCorpus.Sha256(spec.Valid),
        TrainDocuments = spec.Train.Count, ValidDocuments = spec.Valid.Count,
        TrainBytes = spec.Train.Sum(d => d.Bytes), ValidBytes = spec.Valid.Sum(d => d.Bytes),
        ValidFiles = spec.Valid.Select(d => d.Name).ToList(),
    };
}
