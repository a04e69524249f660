namespace SpeechTok.Evaluation;

/// <summary>Classification metrics with sklearn's conventions (F1 of a class with no true and no predicted sample is 0).</summary>
public static class Metrics
{
    /// <summary>counts[true, predicted].</summary>
    public static int[,] ConfusionMatrix(IReadOnlyList<int> yTrue, IReadOnlyList<int> yPred, int numClasses)
    {
        if (yTrue.Count != yPred.Count) throw new ArgumentException($"{yTrue.Count} true labels vs {yPred.Count} predictions");
        var m = new int[numClasses, numClasses];
        for (int i = 0; i < yTrue.Count; i++)
        {
            if ((uint)yTrue[i] >= (uint)numClasses || (uint)yPred[i] >= (uint)numClasses)
                throw new ArgumentOutOfRangeException(nameof(yTrue), $"sample {i}: label {yTrue[i]} / prediction {yPred[i]} outside 0..{numClasses - 1}");
            m[yTrue[i], yPred[i]]++;
        }
        return m;
    }

    /// <summary>F1 of one class: 2·TP / (2·TP + FP + FN), 0 when the denominator is 0.</summary>
    public static double F1(IReadOnlyList<int> yTrue, IReadOnlyList<int> yPred, int cls)
    {
        int tp = 0, fp = 0, fn = 0;
        for (int i = 0; i < yTrue.Count; i++)
        {
            bool t = yTrue[i] == cls, p = yPred[i] == cls;
            if (t && p) tp++; else if (p) fp++; else if (t) fn++;
        }
        int den = 2 * tp + fp + fn;
        return den == 0 ? 0 : 2.0 * tp / den;
    }

    /// <summary>Mean F1 over the classes that occur in <paramref name="yTrue"/> (the original's test convention).</summary>
    public static double MacroF1Present(IReadOnlyList<int> yTrue, IReadOnlyList<int> yPred) =>
        yTrue.Distinct().Average(c => F1(yTrue, yPred, c));

    /// <summary>Mean F1 over all classes 0..K−1; a class never seen nor predicted scores 0.</summary>
    public static double MacroF1All(IReadOnlyList<int> yTrue, IReadOnlyList<int> yPred, int numClasses) =>
        Enumerable.Range(0, numClasses).Average(c => F1(yTrue, yPred, c));

    /// <summary>sklearn's default f1_score(average='macro'): over the classes in y_true ∪ y_pred.</summary>
    public static double MacroF1Union(IReadOnlyList<int> yTrue, IReadOnlyList<int> yPred) =>
        yTrue.Union(yPred).Average(c => F1(yTrue, yPred, c));

    public static double Accuracy(IReadOnlyList<int> yTrue, IReadOnlyList<int> yPred) =>
        yTrue.Count == 0 ? 0 : (double)yTrue.Where((t, i) => t == yPred[i]).Count() / yTrue.Count;
}
