using System.Text.Json;
using System.Text.Json.Nodes;
using SpeechTok.Lm.Tokenization;

namespace SpeechTok.Lm.Serialization;

/// <summary>
/// The tokens the method adds to the LM (METHOD §2.6, §3.1): <c>&lt;audio_token_k&gt;</c> for the k-th selected
/// feature (ascending feature order) and the four markers, plus how an RVQ code maps to its token.
/// A feature is <c>i·codebookSize + code</c> for the i-th used RVQ layer.
/// </summary>
public sealed class AudioVocabulary
{
    public const string Text = "<|text|>", TextEnd = "<|text_end|>", Audio = "<|audio|>", AudioEnd = "<|audio_end|>";
    /// <summary>The audio-vector system's slot between the audio markers; its embedding is always replaced by the projected utterance vector.</summary>
    public const string AudioVectorSlot = "<|audio_vector|>";
    public static readonly IReadOnlyList<string> Markers = [Text, TextEnd, Audio, AudioEnd];

    public static string AudioTokenName(int rank) => $"<audio_token_{rank}>";

    public IReadOnlyList<int> SelectedFeatures { get; }
    /// <summary>RVQ layer (codebook) index of each used layer, e.g. 0..7 for all 8 or 1..7 for "RVQ 2-8".</summary>
    public IReadOnlyList<int> UsedLayers { get; }
    public int CodebookSize { get; }
    /// <summary>Token id of <c>&lt;audio_token_k&gt;</c>, by rank k.</summary>
    public IReadOnlyList<int> AudioTokenIds { get; }
    public int TextId { get; }
    public int TextEndId { get; }
    public int AudioId { get; }
    public int AudioEndId { get; }
    /// <summary>Id of <see cref="AudioVectorSlot"/> in a vocabulary made by <see cref="ExtendForVector"/>; else null.</summary>
    public int? VectorSlotId { get; }

    /// <summary>Ids of the new rows the pre-training step trains: the audio tokens then the four markers (then the vector slot, if any).</summary>
    public IReadOnlyList<int> NewTokenIds => VectorSlotId is int slot ? [TextId, TextEndId, AudioId, AudioEndId, slot] : [.. AudioTokenIds, TextId, TextEndId, AudioId, AudioEndId];

    private readonly int[] _tokenOfFeature; // feature -> rank, -1 when not selected

    private AudioVocabulary(IReadOnlyList<int> features, IReadOnlyList<int> layers, int codebookSize, int[] audioIds, int[] markerIds, int? vectorSlotId = null)
    {
        VectorSlotId = vectorSlotId;
        SelectedFeatures = features;
        UsedLayers = layers;
        CodebookSize = codebookSize;
        AudioTokenIds = audioIds;
        (TextId, TextEndId, AudioId, AudioEndId) = (markerIds[0], markerIds[1], markerIds[2], markerIds[3]);
        _tokenOfFeature = new int[layers.Count * codebookSize];
        Array.Fill(_tokenOfFeature, -1);
        for (int r = 0; r < features.Count; r++) _tokenOfFeature[features[r]] = r;
    }

    /// <summary>
    /// Adds the tokens the way the reference pipeline does: the pad token first (when
    /// <paramref name="padToken"/> is given and the tokenizer has none), then
    /// <c>add_tokens(audio tokens + markers)</c>, then <c>add_special_tokens(markers)</c>. With Llama-3 and N
    /// features this gives [PAD] 128256, audio tokens 128257…, markers after them. Tokens already present keep
    /// their ids, so extending a tokenizer twice is harmless.
    /// </summary>
    public static AudioVocabulary Extend(HfTokenizer tokenizer, IReadOnlyList<int> selectedFeatures, IReadOnlyList<int> usedLayers,
        int codebookSize = 1024, string? padToken = "[PAD]")
    {
        if (codebookSize <= 0) throw new SpeechTokException($"codebook size must be positive (got {codebookSize})");
        if (usedLayers.Count == 0) throw new SpeechTokException("the list of used RVQ layers is empty");
        if (usedLayers.Any(l => l < 0) || usedLayers.Distinct().Count() != usedLayers.Count)
            throw new SpeechTokException($"used RVQ layers must be distinct and non-negative (got [{string.Join(",", usedLayers)}])");
        int featureCount = usedLayers.Count * codebookSize;
        for (int k = 0; k < selectedFeatures.Count; k++)
        {
            int f = selectedFeatures[k];
            if (f < 0 || f >= featureCount)
                throw new SpeechTokException($"selected feature [{k}] = {f} is outside 0..{featureCount - 1} ({usedLayers.Count} layers × {codebookSize} codes)");
            if (k > 0 && f <= selectedFeatures[k - 1])
                throw new SpeechTokException($"selected features must be strictly ascending: [{k - 1}] = {selectedFeatures[k - 1]}, [{k}] = {f}");
        }

        if (padToken != null && tokenizer.PadId == null) tokenizer.AddPadToken(padToken);
        var names = Enumerable.Range(0, selectedFeatures.Count).Select(AudioTokenName).ToArray();
        int[] ids = tokenizer.AddTokens(names.Concat(Markers), special: false);
        int[] markerIds = tokenizer.AddTokens(Markers, special: true);
        return new AudioVocabulary(selectedFeatures.ToArray(), usedLayers.ToArray(), codebookSize, ids[..names.Length], markerIds);
    }

    /// <summary>
    /// The audio-vector system's tokens: [PAD] when absent, then the four markers and <see cref="AudioVectorSlot"/>
    /// (added and made special as <see cref="Extend"/> does). No audio token; <see cref="KeptRanks"/> is empty.
    /// </summary>
    public static AudioVocabulary ExtendForVector(HfTokenizer tokenizer, string? padToken = "[PAD]")
    {
        if (padToken != null && tokenizer.PadId == null) tokenizer.AddPadToken(padToken);
        string[] added = [.. Markers, AudioVectorSlot];
        tokenizer.AddTokens(added, special: false);
        int[] ids = tokenizer.AddTokens(added, special: true);
        return new AudioVocabulary([], [], 1, [], ids[..4], ids[4]);
    }

    /// <summary>The original's token config JSON (<c>audio_token_configs/{config_name}.json</c>, METHOD §2.6).
    /// Its <c>n_layers_rvq</c> is the number of used layers, which the original always takes as the last ones.</summary>
    public string ToConfigJson(string configName)
    {
        var map = new JsonObject();
        for (int r = 0; r < SelectedFeatures.Count; r++) map[SelectedFeatures[r].ToString(System.Globalization.CultureInfo.InvariantCulture)] = AudioTokenName(r);
        var json = new JsonObject
        {
            ["config_name"] = configName,
            ["n_layers_rvq"] = UsedLayers.Count,
            ["selected_features"] = new JsonArray([.. SelectedFeatures.Select(f => (JsonNode)f)]),
            ["feature_to_token_map"] = map,
            ["special_tokens"] = new JsonArray([.. Markers.Select(m => (JsonNode)m)]),
            ["total_new_tokens"] = SelectedFeatures.Count + Markers.Count,
            ["audio_tokens"] = new JsonArray([.. Enumerable.Range(0, SelectedFeatures.Count).Select(r => (JsonNode)AudioTokenName(r))]),
        };
        return json.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>
    /// Ranks of the selected features in a clip, frame-major then used-layer ascending, every occurrence
    /// (METHOD §2.7). <paramref name="codes"/> is <c>codes[rvqLayer][frame]</c> with all RVQ layers.
    /// </summary>
    public List<int> KeptRanks(int[][] codes)
    {
        ArgumentNullException.ThrowIfNull(codes);
        int frames = -1;
        foreach (int layer in UsedLayers)
        {
            if (layer >= codes.Length) throw new SpeechTokException($"codes have {codes.Length} RVQ layers; layer {layer} is used");
            if (codes[layer] is null) throw new SpeechTokException($"codes of RVQ layer {layer} are missing");
            if (frames < 0) frames = codes[layer].Length;
            else if (codes[layer].Length != frames)
                throw new SpeechTokException($"RVQ layer {layer} has {codes[layer].Length} frames, layer {UsedLayers[0]} has {frames}");
        }
        var ranks = new List<int>();
        for (int t = 0; t < frames; t++)
        {
            for (int i = 0; i < UsedLayers.Count; i++)
            {
                int code = codes[UsedLayers[i]][t];
                if ((uint)code >= (uint)CodebookSize)
                    throw new SpeechTokException($"code {code} at RVQ layer {UsedLayers[i]}, frame {t} is outside 0..{CodebookSize - 1}");
                int rank = _tokenOfFeature[i * CodebookSize + code];
                if (rank >= 0) ranks.Add(rank);
            }
        }
        return ranks;
    }
}
