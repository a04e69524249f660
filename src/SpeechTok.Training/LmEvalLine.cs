using System.Text.Json.Serialization;

namespace SpeechTok.Training;

/// <summary>metrics.jsonl's line of a held-out evaluation of <c>lm train</c>; training_metrics.json's eval_curve lists them.</summary>
public sealed record LmEvalLine : LmMetricsLine
{
    public const string TypeName = "eval";

    [JsonPropertyName("type"), JsonPropertyOrder(-2)] public string Type => TypeName;
    /// <summary>Mean held-out loss per token (nats).</summary>
    [JsonPropertyName("loss")] public required double Loss { get; init; }
    /// <summary>Held-out bits per UTF-8 byte.</summary>
    [JsonPropertyName("bits_per_byte")] public required double BitsPerByte { get; init; }
    /// <summary>exp(loss): per token, so it depends on the tokenizer.</summary>
    [JsonPropertyName("perplexity")] public required double Perplexity { get; init; }
    /// <summary>Held-out tokens scored.</summary>
    [JsonPropertyName("tokens")] public required long Tokens { get; init; }
    /// <summary>UTF-8 bytes of the held-out text.</summary>
    [JsonPropertyName("bytes")] public required long Bytes { get; init; }

    /// <summary>The line of <paramref name="r"/>, evaluated after <paramref name="step"/> steps.</summary>
    public static LmEvalLine Of(long step, LmEvalResult r) =>
        new() { Step = step, Loss = r.MeanLoss, BitsPerByte = r.BitsPerByte, Perplexity = r.Perplexity, Tokens = r.Tokens, Bytes = r.Bytes };
}
