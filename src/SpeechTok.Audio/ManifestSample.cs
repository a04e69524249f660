namespace SpeechTok.Audio;

/// <summary>One manifest row: a text, its clips (absolute paths, concatenated in order) and its label(s), if known (<see cref="Labelled"/>).</summary>
public sealed record ManifestSample(
    int Line,
    string Split,
    int Index,
    string? Id,
    string Text,
    IReadOnlyList<string> AudioPaths,
    int[] Labels)
{
    /// <summary>Stable key of the sample in code stores and run folders.</summary>
    public string Key => $"{Split}/{Index}";

    /// <summary>The manifest file the sample was read from (absolute path).</summary>
    public string ManifestPath { get; init; } = "";

    /// <summary>Where the sample is defined, for error messages: "MANIFEST:LINE (split/index)".</summary>
    public string Where => $"{ManifestPath}:{Line} ({Key})";

    /// <summary>
    /// False for a sample without labels, which only <see cref="Manifest.LoadToPredict"/> reads (a manifest without a label
    /// column, or a split whose <c>label</c> cells are all empty); <see cref="Labels"/> is then empty and means nothing.
    /// </summary>
    public bool Labelled { get; init; } = true;

    /// <summary>The single class id of a binary or multiclass sample.</summary>
    public int Label => Labels.Length == 1 ? Labels[0] : throw new InvalidOperationException($"sample {Key} has {Labels.Length} labels");
}
