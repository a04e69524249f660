using SpeechTok.Codec;
using SpeechTok.Lm.Tokenization;

namespace SpeechTok.Lm.Serialization;

/// <summary>
/// The tokens the method adds to the LM (METHOD §2.6, §3.1): <c>&lt;audio_token_k&gt;</c> for the k-th selected
/// feature (ascending feature order) and the four markers, plus how an RVQ code maps to its token.
/// Feature ids follow <see cref="AudioFeatureLayout"/>.
/// </summary>
public sealed class AudioVocabulary
{
    public const string Text = "<|text|>", TextEnd = "<|text_end|>", Audio = "<|audio|>", AudioEnd = "<|audio_end|>";
    public static readonly IReadOnlyList<string> Markers = [Text, TextEnd, Audio, AudioEnd];
    /// <summary>The audio-vector system's slot between the audio markers; its embedding is always replaced by the projected utterance vector.</summary>
    public const string AudioVectorSlot = "<|audio_vector|>";

    public IReadOnlyList<int> SelectedFeatures { get; }
    /// <summary>The used RVQ layers and codebook size the feature ids refer to (null in an audio-vector vocabulary: no audio tokens).</summary>
    public AudioFeatureLayout? Layout { get; }
    /// <summary>Token id of <c>&lt;audio_token_k&gt;</c>, by rank k.</summary>
    public IReadOnlyList<int> AudioTokenIds { get; }
    public int TextId { get; }
    public int TextEndId { get; }
    public int AudioId { get; }
    public int AudioEndId { get; }
    /// <summary>Id of <see cref="AudioVectorSlot"/> in a vocabulary made by <see cref="ExtendForVector"/>; else null.</summary>
    public int? VectorSlotId { get; }

    /// <summary>Ids of the new rows the pre-training step trains: the audio tokens then the four markers (an audio-vector vocabulary: the markers then the slot).</summary>
    public IReadOnlyList<int> NewTokenIds => VectorSlotId is int slot ? [TextId, TextEndId, AudioId, AudioEndId, slot] : [.. AudioTokenIds, TextId, TextEndId, AudioId, AudioEndId];

    private readonly int[] _tokenOfFeature; // feature -> rank, -1 when not selected

    private AudioVocabulary(IReadOnlyList<int> features, AudioFeatureLayout? layout, int[] audioIds, int[] markerIds, int? vectorSlotId = null)
    {
        SelectedFeatures = features;
        Layout = layout;
        AudioTokenIds = audioIds;
        VectorSlotId = vectorSlotId;
        (TextId, TextEndId, AudioId, AudioEndId) = (markerIds[0], markerIds[1], markerIds[2], markerIds[3]);
        _tokenOfFeature = new int[layout?.FeatureCount ?? 0];
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
    public static AudioVocabulary Extend(HfTokenizer tokenizer, IReadOnlyList<int> selectedFeatures, AudioFeatureLayout layout, string? padToken = "[PAD]")
    {
        layout.CheckSelection(selectedFeatures);
        if (padToken != null && tokenizer.PadId == null) tokenizer.AddPadToken(padToken);
        var names = Enumerable.Range(0, selectedFeatures.Count).Select(AudioFeatureLayout.TokenName).ToArray();
        int[] ids = tokenizer.AddTokens(names.Concat(Markers), special: false);
        int[] markerIds = tokenizer.AddTokens(Markers, special: true);
        return new AudioVocabulary(selectedFeatures.ToArray(), layout, ids[..names.Length], markerIds);
    }

    /// <summary>
    /// The audio-vector system's tokens: [PAD] when absent, then the four markers and <see cref="AudioVectorSlot"/>
    /// (added, then made special, as <see cref="Extend"/> does). No audio token and no layout.
    /// </summary>
    public static AudioVocabulary ExtendForVector(HfTokenizer tokenizer, string? padToken = "[PAD]")
    {
        if (padToken != null && tokenizer.PadId == null) tokenizer.AddPadToken(padToken);
        string[] added = [.. Markers, AudioVectorSlot];
        tokenizer.AddTokens(added, special: false);
        int[] ids = tokenizer.AddTokens(added, special: true);
        return new AudioVocabulary([], null, [], ids[..4], ids[4]);
    }

    /// <summary>The original's token config JSON (<c>audio_token_configs/{config_name}.json</c>, METHOD §2.6).</summary>
    public string ToConfigJson(string configName) => OriginalTokenConfig.Of(this, configName).ToJson();

    /// <summary>
    /// Ranks of the selected features in a clip, frame-major then used-layer ascending, every occurrence
    /// (METHOD §2.7). <paramref name="codes"/> is <c>codes[rvqLayer][frame]</c> with all RVQ layers (0-based index).
    /// </summary>
    public List<int> KeptRanks(int[][] codes)
    {
        ArgumentNullException.ThrowIfNull(codes);
        var layout = Layout ?? throw new SpeechTokException("an audio-vector vocabulary has no audio tokens to rank");
        var layers = layout.Layers;
        int frames = -1;
        foreach (int layer in layers)
        {
            if (layer >= codes.Length) throw new SpeechTokException($"codes have {codes.Length} RVQ layers; layer {layer + 1} is used");
            if (codes[layer] is null) throw new SpeechTokException($"codes of RVQ layer {layer + 1} are missing");
            if (frames < 0) frames = codes[layer].Length;
            else if (codes[layer].Length != frames)
                throw new SpeechTokException($"RVQ layer {layer + 1} has {codes[layer].Length} frames, layer {layers[0] + 1} has {frames}");
        }
        var ranks = new List<int>();
        for (int t = 0; t < frames; t++)
        {
            for (int i = 0; i < layers.Count; i++)
            {
                int code = codes[layers[i]][t];
                if ((uint)code >= (uint)layout.CodebookSize)
                    throw new SpeechTokException($"code {code} at RVQ layer {layers[i] + 1}, frame {t} is outside 0..{layout.CodebookSize - 1}");
                int rank = _tokenOfFeature[layout.Encode(i, code)];
                if (rank >= 0) ranks.Add(rank);
            }
        }
        return ranks;
    }
}
