using System.Text.Json.Serialization;
using SpeechTok.Codec;

namespace SpeechTok.Selection;

/// <summary>
/// What the later steps take from a selection.json: the selected feature ids (ascending; the k-th becomes
/// <c>&lt;audio_token_k&gt;</c>) and their <see cref="AudioFeatureLayout"/>. Recorded as
/// <c>{"path", "selected_features", "layers" (1-based), "codebook_size"}</c> inside pretrain.json and run.json.
/// </summary>
public sealed record SelectedAudioTokens
{
    public const string FeaturesField = "selected_features", LayersField = "layers", CodebookSizeField = "codebook_size";

    /// <summary>The selection.json these tokens came from (absolute).</summary>
    [JsonPropertyName("path")] public required string Path { get; init; }
    [JsonPropertyName(FeaturesField)] public required int[] Features { get; init; }
    /// <summary>1-based RVQ layer numbers, as written in the files.</summary>
    [JsonPropertyName(LayersField)] public required int[] Layers { get; init; }
    [JsonPropertyName(CodebookSizeField)] public int CodebookSize { get; init; } = AudioFeatureLayout.DefaultCodebookSize;

    /// <summary>selection.json's <c>codes_tokenizer</c>, checked against the code store a run reads (not part of run.json's record).</summary>
    [JsonIgnore] public string? CodesTokenizer { get; init; }

    /// <summary>Fails unless the code store at <paramref name="storeDir"/> (its tokenizer identity, codebook size and RVQ layers) is what the features were selected from.</summary>
    public void RequireCodesOf(string storeTokenizer, int storeCodebookSize, int storeLayers, string storeDir)
    {
        if (Layers.Length > 0 && Layers.Max() > storeLayers)
            throw new SpeechTokException($"{Path}: layers [{string.Join(",", Layers)}] use RVQ layer {Layers.Max()}, but {storeDir} holds codes of {storeLayers} layers; select again on this store");
        if (CodesTokenizer != null && CodesTokenizer != storeTokenizer)
            throw new SpeechTokException($"{Path}: the tokens were selected from codes of tokenizer {CodesTokenizer}, but {storeDir} holds codes of {storeTokenizer}; select again on this store");
        // select's stride is max(1024, codebook size) (AudioFeatureLayout.StrideFor): a store of a larger codebook than the selection's is another layout
        if (storeCodebookSize > CodebookSize)
            throw new SpeechTokException($"{Path}: codebook_size {CodebookSize}, but {storeDir} holds codes of a {storeCodebookSize}-code tokenizer, beyond the selection's layout; select again on this store");
    }

    [JsonIgnore] public AudioFeatureLayout Layout => AudioFeatureLayout.FromLayerNumbers(Layers, CodebookSize);

    /// <summary>Features non-empty, strictly ascending and inside the layout.</summary>
    public void Validate(string source)
    {
        if (Features.Length == 0) throw new SpeechTokException($"{source}: '{FeaturesField}' is empty (no audio token to add)");
        try { Layout.CheckSelection(Features); }
        catch (SpeechTokException e) { throw new SpeechTokException($"{source}: {e.Message}", e); }
    }
}
