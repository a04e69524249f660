using System.Text.Json;
using System.Text.Json.Serialization;
using SpeechTok.IO;

namespace SpeechTok.Training;

/// <summary>
/// One line of <c>lm train</c>'s metrics.jsonl: a JSON object whose <c>type</c> says which record it is
/// (<see cref="LmTokenizerLine"/>, <see cref="LmTrainLine"/>, <see cref="LmEvalLine"/>), then the step it belongs to.
/// </summary>
public abstract record LmMetricsLine
{
    /// <summary>Optimizer steps done when the line was written (0: before the first).</summary>
    [JsonPropertyName("step"), JsonPropertyOrder(-1)] public required long Step { get; init; }

    /// <summary><see cref="ArtifactJson.Options"/> on one line.</summary>
    private static readonly JsonSerializerOptions OneLine = new(ArtifactJson.Options) { WriteIndented = false };

    /// <summary>The line as written to metrics.jsonl (no newline).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, GetType(), OneLine);

    /// <summary>The record of one line of metrics.jsonl.</summary>
    /// <exception cref="JsonException">The line is not JSON, has no known <c>type</c>, or a field is missing or of the wrong type.</exception>
    public static LmMetricsLine Parse(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        string? type = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
        LmMetricsLine? line = type switch
        {
            LmTrainLine.TypeName => root.Deserialize<LmTrainLine>(OneLine),
            LmEvalLine.TypeName => root.Deserialize<LmEvalLine>(OneLine),
            LmTokenizerLine.TypeName => root.Deserialize<LmTokenizerLine>(OneLine),
            _ => null,
        };
        return line ?? throw new JsonException($"expected an object whose 'type' is '{LmTrainLine.TypeName}', '{LmEvalLine.TypeName}' or '{LmTokenizerLine.TypeName}'");
    }
}
