namespace SpeechTok.Selection;

/// <summary>One point of the C sweep: the regularisation strength, the F1 that scores it (macro-F1, or F1 of class 1 for a binary task; inner split or cross-validation; <see cref="CChoice.Points(SelectionFile)"/>) and the number of selected tokens.</summary>
public sealed record CSweepPoint(double C, double Score, int SelectedTokens);
