using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SpeechTok.Lm.Serialization;

/// <summary>
/// The original implementation's token config (<c>audio_token_configs/{config_name}.json</c>, METHOD §2.6), written
/// so that its scripts can use our selection. Its <c>n_layers_rvq</c> is the number of used layers, which the
/// original always takes as the last ones.
/// </summary>
public sealed record OriginalTokenConfig
{
    [JsonPropertyName("config_name")] public required string ConfigName { get; init; }
    [JsonPropertyName("n_layers_rvq")] public int NLayersRvq { get; init; }
    [JsonPropertyName("selected_features")] public required IReadOnlyList<int> SelectedFeatures { get; init; }
    /// <summary>Feature id (as a string key) → token name.</summary>
    [JsonPropertyName("feature_to_token_map")] public required IReadOnlyDictionary<string, string> FeatureToTokenMap { get; init; }
    [JsonPropertyName("special_tokens")] public required IReadOnlyList<string> SpecialTokens { get; init; }
    [JsonPropertyName("total_new_tokens")] public int TotalNewTokens { get; init; }
    [JsonPropertyName("audio_tokens")] public required IReadOnlyList<string> AudioTokens { get; init; }

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static OriginalTokenConfig Of(AudioVocabulary v, string configName)
    {
        var names = Enumerable.Range(0, v.SelectedFeatures.Count).Select(Codec.AudioFeatureLayout.TokenName).ToList();
        return new OriginalTokenConfig
        {
            ConfigName = configName,
            NLayersRvq = v.Layout?.Layers.Count ?? 0,
            SelectedFeatures = v.SelectedFeatures,
            FeatureToTokenMap = v.SelectedFeatures.Select((f, r) => (f, r)).ToDictionary(x => x.f.ToString(CultureInfo.InvariantCulture), x => names[x.r]),
            SpecialTokens = AudioVocabulary.Markers,
            TotalNewTokens = v.SelectedFeatures.Count + AudioVocabulary.Markers.Count,
            AudioTokens = names,
        };
    }

    public string ToJson() => JsonSerializer.Serialize(this, Indented);
}
