namespace SpeechTok.Evaluation;

/// <summary>
/// Metrics of one set of predictions (sklearn conventions via <see cref="Metrics"/> and <see cref="MultiLabelMetrics"/>);
/// <see cref="Confusion"/> (rows true, columns predicted; sklearn's <c>confusion_matrix</c>) for single-label tasks only,
/// <see cref="PerLabelF1"/> and <see cref="MicroF1"/> for multi-label tasks only.
/// </summary>
public sealed record MetricSet(double MacroF1, double MacroF1AllLabels, double? F1Class1, double Accuracy, int[,]? Confusion, double Selection,
    double[]? PerLabelF1 = null, double? MicroF1 = null);
