using System.Text.Json.Serialization;
using SpeechTok.IO;

namespace SpeechTok.Codec.Builtin;

/// <summary>
/// usage.json of a built-in tokenizer folder: how many frames it was fitted on and how each layer's codebook is used
/// (<c>speechtok tokenizer fit</c> reports it). Informative: encoding does not read it.
/// </summary>
public sealed record BuiltinTokenizerUsage : IArtifact
{
    public const string FileName = "usage.json";
    /// <summary>Files written before the format tag existed are this same version 1; no newline at the end, as those.</summary>
    public static readonly ArtifactKind Kind = new("built-in tokenizer usage", "speechtok-tokenizer-usage", Version: 1, UnmarkedVersion: 1, FinalNewline: false);

    /// <summary>Feature frames the codebooks were fitted on (after the pool's thinning).</summary>
    [JsonPropertyName("fit_frames")] public required int FitFrames { get; init; }
    /// <summary>One entry per RVQ layer, in order.</summary>
    [JsonPropertyName("layers")] public required IReadOnlyList<LayerUsage> Layers { get; init; }

    public static BuiltinTokenizerUsage Load(string path) => ArtifactJson.Load<BuiltinTokenizerUsage>(path, Kind);

    public void Save(string path) => ArtifactJson.Save(path, this, Kind);

    public void Validate(string source)
    {
        if (FitFrames < 0) throw new SpeechTokException($"{source}: 'fit_frames' is {FitFrames}, expected a non-negative count");
        for (int i = 0; i < Layers.Count; i++)
        {
            var l = Layers[i];
            if (l.Layer != i + 1) throw new SpeechTokException($"{source}: layers[{i}] has 'layer' {l.Layer}, expected {i + 1}");
            if (l.Size < 1 || l.Used < 0 || l.Used > l.Size)
                throw new SpeechTokException($"{source}: layers[{i}] has 'used' {l.Used} of 'size' {l.Size}, expected 0 ≤ used ≤ size and size ≥ 1");
            if (!double.IsFinite(l.Perplexity) || l.Perplexity < 0)
                throw new SpeechTokException($"{source}: layers[{i}] has 'perplexity' {l.Perplexity}, expected a non-negative number");
        }
    }
}
