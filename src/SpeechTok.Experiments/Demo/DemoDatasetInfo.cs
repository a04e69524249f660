using System.Text.Json.Serialization;

namespace SpeechTok.Experiments.Demo;

/// <summary>What <see cref="DemoDataset.Build"/> produced (or found already built).</summary>
public sealed record DemoDatasetInfo
{
    public required string ManifestPath { get; init; }
    public required string OptionsHash { get; init; }
    public required string Options { get; init; }
    public required string[] ClassNames { get; init; }
    /// <summary>Per split ("train", "val", "test"): the number of clips of each class.</summary>
    public required Dictionary<string, int[]> ClassCounts { get; init; }
    public required int Clips { get; init; }
    public required double ClipSecondsMin { get; init; }
    public required double ClipSecondsMean { get; init; }
    public required double ClipSecondsMax { get; init; }
    public required double GenerationSeconds { get; init; }
    public required string EspeakVersion { get; init; }
    /// <summary>True when the dataset was already complete for the same options and nothing was generated.</summary>
    [JsonIgnore] public bool Skipped { get; init; }
}
