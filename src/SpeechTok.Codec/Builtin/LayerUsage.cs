using System.Text.Json.Serialization;

namespace SpeechTok.Codec.Builtin;

/// <summary>Codebook usage of one layer on the fitting frames: used codes and the perplexity exp(H) of the code histogram (an entry of usage.json).</summary>
public sealed record LayerUsage
{
    /// <summary>The RVQ layer, from 1.</summary>
    [JsonPropertyName("layer")] public required int Layer { get; init; }
    /// <summary>Codes in the layer's codebook.</summary>
    [JsonPropertyName("size")] public required int Size { get; init; }
    /// <summary>Codes that at least one fitting frame was assigned to.</summary>
    [JsonPropertyName("used")] public required int Used { get; init; }
    /// <summary><see cref="Used"/> / <see cref="Size"/> (written for readers of the file; derived when read).</summary>
    [JsonPropertyName("used_fraction")] public double UsedFraction => (double)Used / Size;
    /// <summary>exp of the entropy (nats) of the layer's code histogram over the fitting frames.</summary>
    [JsonPropertyName("perplexity")] public required double Perplexity { get; init; }
}
