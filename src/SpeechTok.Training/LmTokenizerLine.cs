using System.Text.Json.Serialization;

namespace SpeechTok.Training;

/// <summary>metrics.jsonl's first line of a run from scratch: the byte-level BPE learned on the train documents (step 0).</summary>
public sealed record LmTokenizerLine : LmMetricsLine
{
    public const string TypeName = "tokenizer";

    [JsonPropertyName("type"), JsonPropertyOrder(-2)] public string Type => TypeName;
    /// <summary>Wall seconds the merges took to learn.</summary>
    [JsonPropertyName("seconds")] public required double Seconds { get; init; }
    /// <summary>Distinct pre-tokenized words of the train documents.</summary>
    [JsonPropertyName("distinct_words")] public required int DistinctWords { get; init; }
    /// <summary>BPE merges learned.</summary>
    [JsonPropertyName("merges")] public required int Merges { get; init; }
}
