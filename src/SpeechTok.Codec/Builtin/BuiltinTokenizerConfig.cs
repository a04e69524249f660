using System.Text.Json.Serialization;
using SpeechTok.IO;

namespace SpeechTok.Codec.Builtin;

/// <summary>
/// config.json of a built-in tokenizer folder (<see cref="BuiltinTokenizer"/>): the feature settings the codebooks were
/// fitted on, which must be this build's, and the RVQ layers. Its format tag is what tells the folder from an official
/// SpeechTokenizer's (<see cref="BuiltinTokenizer.IsBuiltinFolder"/>). Written without a newline at the end, as it always
/// was: its bytes are part of the tokenizer's identity (<see cref="TokenizerLoader.Identity"/>), which code stores record.
/// </summary>
public sealed record BuiltinTokenizerConfig : IArtifact
{
    public const string FileName = "config.json";
    public static readonly ArtifactKind Kind = new("built-in tokenizer", BuiltinTokenizer.Format, BuiltinTokenizer.FormatVersion, FinalNewline: false);

    /// <summary>Hz of the audio the features are computed on.</summary>
    [JsonPropertyName("sample_rate")] public required int SampleRate { get; init; }
    /// <summary>Samples per frame (one code per layer and frame).</summary>
    [JsonPropertyName("hop_length")] public required int HopLength { get; init; }
    /// <summary>FFT size of the mel spectrogram.</summary>
    [JsonPropertyName("n_fft")] public required int NFft { get; init; }
    /// <summary>Mel bands.</summary>
    [JsonPropertyName("n_mels")] public required int NMels { get; init; }
    /// <summary>Length of a frame's feature vector (the codebooks' columns).</summary>
    [JsonPropertyName("feature_dim")] public required int FeatureDim { get; init; }
    /// <summary>RVQ layers: codebooks <c>codebook.0</c> … in codebooks.safetensors.</summary>
    [JsonPropertyName("num_quantizers")] public required int NumQuantizers { get; init; }
    /// <summary>The cap on codes per layer the tokenizer was fitted with; a layer has fewer when the data was small (<see cref="LayerSizes"/>).</summary>
    [JsonPropertyName("codebook_size")] public required int CodebookSize { get; init; }
    /// <summary>Codes of each layer: the rows of its codebook.</summary>
    [JsonPropertyName("layer_sizes")] public required IReadOnlyList<int> LayerSizes { get; init; }
    /// <summary>Seed of the k-means++ initialisation.</summary>
    [JsonPropertyName("seed")] public required int Seed { get; init; }

    /// <summary>The config of a tokenizer with these layers, on this build's features.</summary>
    internal static BuiltinTokenizerConfig Of(int codebookSize, IReadOnlyList<int> layerSizes, int seed) => new()
    {
        SampleRate = BuiltinFeatures.SampleRate, HopLength = BuiltinFeatures.Hop, NFft = BuiltinFeatures.NFft, NMels = BuiltinFeatures.NMels,
        FeatureDim = BuiltinFeatures.Dim, NumQuantizers = layerSizes.Count, CodebookSize = codebookSize, LayerSizes = layerSizes, Seed = seed,
    };

    /// <summary>config.json of the tokenizer folder <paramref name="dir"/> (its codebooks are not read).</summary>
    public static BuiltinTokenizerConfig LoadFrom(string dir)
    {
        var path = Path.Combine(dir, FileName);
        if (!File.Exists(path)) throw new SpeechTokException($"{dir}: no {FileName}; not a built-in tokenizer folder (fit one with `speechtok tokenizer fit`)");
        return ArtifactJson.Load<BuiltinTokenizerConfig>(path, Kind);
    }

    public void Save(string dir) => ArtifactJson.Save(Path.Combine(dir, FileName), this, Kind);

    public void Validate(string source)
    {
        foreach (var (field, value, build) in new[]
        {
            ("sample_rate", SampleRate, BuiltinFeatures.SampleRate), ("hop_length", HopLength, BuiltinFeatures.Hop), ("n_fft", NFft, BuiltinFeatures.NFft),
            ("n_mels", NMels, BuiltinFeatures.NMels), ("feature_dim", FeatureDim, BuiltinFeatures.Dim),
        })
            if (value != build)
                throw new SpeechTokException($"{source}: '{field}' is {value}, but this build's features have {build}; refit the tokenizer (speechtok tokenizer fit)");
        if (NumQuantizers < 1) throw new SpeechTokException($"{source}: 'num_quantizers' is {NumQuantizers}, expected at least 1");
        if (CodebookSize < 1) throw new SpeechTokException($"{source}: 'codebook_size' is {CodebookSize}, expected at least 1");
        if (LayerSizes.Count != NumQuantizers)
            throw new SpeechTokException($"{source}: 'layer_sizes' lists {LayerSizes.Count} layers, 'num_quantizers' is {NumQuantizers}");
        for (int q = 0; q < LayerSizes.Count; q++)
            if (LayerSizes[q] < 1 || LayerSizes[q] > CodebookSize)
                throw new SpeechTokException($"{source}: 'layer_sizes' gives layer {q + 1} {LayerSizes[q]} codes, expected 1 to 'codebook_size' {CodebookSize}");
    }
}
