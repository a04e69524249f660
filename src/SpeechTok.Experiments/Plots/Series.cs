namespace SpeechTok.Experiments.Plots;

/// <summary>A named line of (x, y) points.</summary>
public sealed record Series(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y, bool Dashed = false);
