using SpeechTok.Evaluation;

namespace SpeechTok.Experiments.Report;

/// <summary>Everything report.md shows; only <see cref="Results"/> is required.</summary>
public sealed record ReportInput
{
    public required ExperimentResults Results { get; init; }
    public string Title { get; init; } = "SpeechTok experiment";
    public IReadOnlyList<KeyValuePair<string, string>> Settings { get; init; } = [];
    public IReadOnlyList<Timing> Timings { get; init; } = [];
    public IReadOnlyList<Truncation> Truncations { get; init; } = [];
    public IReadOnlyList<PlotLink> Plots { get; init; } = [];
    public TokenReport? Tokens { get; init; }
    public IReadOnlyList<string> Notes { get; init; } = [];
}
