using System.Text.Json.Serialization;
using SpeechTok.IO;

namespace SpeechTok.Experiments.Demo;

/// <summary>
/// What <see cref="DemoDataset.Build"/> produced (or found already built), kept as the dataset folder's demo.json: written
/// last, its presence with the same <see cref="OptionsHash"/> marks the build complete.
/// </summary>
public sealed record DemoDatasetInfo : IArtifact
{
    public const string FileName = "demo.json";
    /// <summary>Files written before the format tag existed are this same version 1.</summary>
    public static readonly ArtifactKind Kind = new("demo dataset", "speechtok-demo-dataset", Version: 1, UnmarkedVersion: 1);

    /// <summary>The dataset's manifest.csv (absolute; a dataset found already built reports where it is now).</summary>
    [JsonPropertyName("manifest_path")] public required string ManifestPath { get; init; }
    /// <summary><see cref="DemoOptions.Hash"/> of the options the clips were made with.</summary>
    [JsonPropertyName("options_hash")] public required string OptionsHash { get; init; }
    /// <summary>Those options in readable form (<c>demo-v2|count=…|seed=…|labeling=…|noise=…</c>).</summary>
    [JsonPropertyName("options")] public required string Options { get; init; }
    /// <summary>The class names, in label order (also the manifest's label-names sidecar).</summary>
    [JsonPropertyName("class_names")] public required string[] ClassNames { get; init; }
    /// <summary>Per split ("train", "val", "test"): the number of clips of each class.</summary>
    [JsonPropertyName("class_counts")] public required Dictionary<string, int[]> ClassCounts { get; init; }
    /// <summary>Clips in the dataset (the manifest's samples).</summary>
    [JsonPropertyName("clips")] public required int Clips { get; init; }
    /// <summary>Length of the shortest clip, in seconds.</summary>
    [JsonPropertyName("clip_seconds_min")] public required double ClipSecondsMin { get; init; }
    /// <summary>Mean clip length, in seconds.</summary>
    [JsonPropertyName("clip_seconds_mean")] public required double ClipSecondsMean { get; init; }
    /// <summary>Length of the longest clip, in seconds.</summary>
    [JsonPropertyName("clip_seconds_max")] public required double ClipSecondsMax { get; init; }
    /// <summary>Wall seconds of the build that generated the clips.</summary>
    [JsonPropertyName("generation_seconds")] public required double GenerationSeconds { get; init; }
    /// <summary><c>espeak-ng --version</c> of that build.</summary>
    [JsonPropertyName("espeak_version")] public required string EspeakVersion { get; init; }
    /// <summary>True when the dataset was already complete for the same options and nothing was generated.</summary>
    [JsonIgnore] public bool Skipped { get; init; }

    public static DemoDatasetInfo Load(string path) => ArtifactJson.Load<DemoDatasetInfo>(path, Kind);

    public void Save(string path) => ArtifactJson.Save(path, this, Kind);

    public void Validate(string source)
    {
        if (string.IsNullOrEmpty(OptionsHash)) throw new SpeechTokException($"{source}: 'options_hash' is empty");
        if (Clips < 1) throw new SpeechTokException($"{source}: 'clips' is {Clips}, expected at least 1");
        foreach (var (split, counts) in ClassCounts)
            if (counts.Length != ClassNames.Length)
                throw new SpeechTokException($"{source}: 'class_counts' of {split} has {counts.Length} classes, 'class_names' {ClassNames.Length}");
    }
}
