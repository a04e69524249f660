using System.Text.Json.Serialization;

namespace SpeechTok.Training;

/// <summary>The final held-out numbers of <c>lm train</c> (training_metrics.json's <c>held_out</c>, and the command's last line).</summary>
public sealed record LmHeldOut
{
    /// <summary>Held-out bits per UTF-8 byte: comparable across tokenizers.</summary>
    [JsonPropertyName("bits_per_byte")] public required double BitsPerByte { get; init; }
    /// <summary>exp(loss): per token, so it depends on the tokenizer.</summary>
    [JsonPropertyName("perplexity")] public required double Perplexity { get; init; }
    /// <summary>Mean held-out loss per token (nats).</summary>
    [JsonPropertyName("loss")] public required double Loss { get; init; }
    /// <summary>Held-out tokens scored.</summary>
    [JsonPropertyName("tokens")] public required long Tokens { get; init; }
    /// <summary>UTF-8 bytes of the held-out text.</summary>
    [JsonPropertyName("bytes")] public required long Bytes { get; init; }

    public static LmHeldOut Of(LmEvalResult r) =>
        new() { BitsPerByte = r.BitsPerByte, Perplexity = r.Perplexity, Loss = r.MeanLoss, Tokens = r.Tokens, Bytes = r.Bytes };
}
