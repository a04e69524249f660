namespace SpeechTok.Experiments.Report;

/// <summary>How many serialised samples were cut to the sequence budget in one step/split.</summary>
public sealed record Truncation(string What, int Truncated, int Total, int MaxTokens);
