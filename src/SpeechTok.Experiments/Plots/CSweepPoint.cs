namespace SpeechTok.Experiments.Plots;

/// <summary>One point of the C sweep: the regularisation strength, the inner-split macro-F1 and the number of selected tokens.</summary>
public sealed record CSweepPoint(double C, double MacroF1, int SelectedTokens);
