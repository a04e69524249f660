namespace SpeechTok.Training;

/// <summary>What <c>speechtok lm train</c> trains on and where it writes.</summary>
public sealed record LmTrainSpec
{
    public required IReadOnlyList<TextDocument> Train { get; init; }
    public required IReadOnlyList<TextDocument> Valid { get; init; }
    public required string Out { get; init; }
    /// <summary>Entries of the --train/--valid folders that are not documents (<see cref="TextCorpus.Load"/>), named in the log.</summary>
    public IReadOnlyList<string> Skipped { get; init; } = [];
    public LmTrainOptions Options { get; init; } = new();
    /// <summary>Recorded in training_metrics.json.</summary>
    public string CommandLine { get; init; } = "";
}
