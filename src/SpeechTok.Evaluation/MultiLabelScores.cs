namespace SpeechTok.Evaluation;

/// <summary>
/// Scores of multi-label decisions: F1 of every label (sklearn's binary F1, 0 when a label is neither true nor
/// predicted), macro-F1 over the labels present in y_true (the single-label convention, and the paper's EMO score
/// when all labels occur) and over all labels, micro-F1 over every (sample, label) decision, and the share of
/// samples whose whole label set is right.
/// </summary>
public sealed record MultiLabelScores(double[] PerLabelF1, double MacroF1, double MacroF1AllLabels, double MicroF1, double SubsetAccuracy);
