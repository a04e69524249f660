namespace SpeechTok.Selection;

/// <summary>The outcome of SelectFromModel(threshold='mean') on one fit.</summary>
public sealed record SelectionOutcome(
    LogisticFit Fit,
    double Threshold,
    int[] SelectedColumns,
    int[] SelectedAudio,
    double InnerMacroF1,
    double InnerF1Class1)
{
    public bool AllZero => Fit.Coef.All(r => Array.TrueForAll(r, v => v == 0));
    public int SelectedText => SelectedColumns.Length - SelectedAudio.Length;
}
