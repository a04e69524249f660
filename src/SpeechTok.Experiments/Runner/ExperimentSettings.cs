using System.Text.Json.Serialization;
using SpeechTok.IO;

namespace SpeechTok.Experiments.Runner;

/// <summary>
/// OUT/experiment.json: what an experiment folder was made with. A rerun into the same folder must match it, or
/// cached steps (codes, selections, pre-trained rows, runs) would mix settings.
/// </summary>
public sealed record ExperimentSettings : IArtifact
{
    public const string FileName = "experiment.json";
    public static readonly ArtifactKind Kind = new("experiment settings", "speechtok-experiment", Version: 2);

    [JsonPropertyName("manifest")] public required string Manifest { get; init; }
    /// <summary>sha256 of the manifest file: cached steps hold its data.</summary>
    [JsonPropertyName("manifest_sha256")] public string? ManifestSha256 { get; init; }
    /// <summary>Null for the manifest's own folder (the default), else absolute without a trailing separator (<see cref="AudioRootOf"/>).</summary>
    [JsonPropertyName("audio_root")] public string? AudioRoot { get; init; }

    /// <summary>What <see cref="AudioRoot"/> stores for an <c>--audio-root</c> value: giving the default explicitly, or with a
    /// trailing separator, is the same experiment.</summary>
    public static string? AudioRootOf(string? audioRoot, string manifest) =>
        audioRoot is null || InputPaths.FullPath(audioRoot) == InputPaths.FullPath(Path.GetDirectoryName(Path.GetFullPath(manifest))) ? null
            : InputPaths.FullPath(audioRoot);
    /// <summary>"builtin" or the model folder (absolute).</summary>
    [JsonPropertyName("model")] public required string Model { get; init; }
    /// <summary>"builtin" or the speech tokenizer folder (absolute).</summary>
    [JsonPropertyName("tokenizer")] public required string Tokenizer { get; init; }
    /// <summary><see cref="ExperimentPreset.Describe"/>.</summary>
    [JsonPropertyName("preset")] public required IReadOnlyDictionary<string, string> Preset { get; init; }
    /// <summary>sha256 of the built-in LM's weights (<see cref="Training.BuiltinLm.ModelSha256"/>) when the model is <c>builtin</c>.</summary>
    [JsonPropertyName("builtin_lm_sha256")] public string? BuiltinLmSha256 { get; init; }

    /// <summary>True with <c>--mixdown</c>; absent (null) without it, so folders made before the option keep their identity.</summary>
    [JsonPropertyName("mixdown")] public bool? Mixdown { get; init; }

    /// <summary>Writes the settings into <paramref name="dir"/>, or checks that the ones there are the same.</summary>
    public void SaveOrRequireSame(string dir)
    {
        string path = Path.Combine(dir, FileName);
        if (!File.Exists(path)) { ArtifactJson.Save(path, this, Kind); return; }
        var was = ArtifactJson.Load<ExperimentSettings>(path, Kind);
        // folders older than the field; and an audio root recorded before it was normalised
        was = was with { ManifestSha256 = was.ManifestSha256 ?? ManifestSha256, AudioRoot = AudioRootOf(was.AudioRoot, was.Manifest) };
        if (ArtifactJson.FirstDifference(was, this) is { } d)
            throw new SpeechTokException(d.Field switch
            {
                "manifest_sha256" => $"{path}: the manifest {Manifest} was edited since this folder was made (sha256 was {d.Was}, is now {d.Now}); its cached steps hold the old rows: use another --out",
                // "was null, this command has true" would not name the option
                "mixdown" => $"{path}: this folder was made {(was.Mixdown == true ? "with" : "without")} --mixdown (its codes and results read the clips that way); " +
                             "rerun with the same setting to resume, or use another --out",
                _ => $"{path}: '{d.Field}' was {d.Was}, this command has {d.Now}; rerun with the same options to resume, or use another --out",
            });
    }

    public void Validate(string source) { }
}
