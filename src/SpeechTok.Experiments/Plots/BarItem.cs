namespace SpeechTok.Experiments.Plots;

/// <summary>One bar of <c>Plot.MacroF1Bars</c>: a system's mean over seeds, its spread and the per-seed values.</summary>
public sealed record BarItem(string Label, double Mean, double? Std, IReadOnlyList<double> PerSeed);
