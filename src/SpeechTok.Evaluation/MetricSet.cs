namespace SpeechTok.Evaluation;

/// <summary>Metrics of one set of predictions (sklearn conventions via <see cref="Metrics"/>).</summary>
public sealed record MetricSet(int[] Predictions, double MacroF1, double MacroF1AllLabels, double? F1Class1, double Accuracy, int[,] Confusion, double Selection);
