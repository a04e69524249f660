namespace SpeechTok.Evaluation;

/// <summary>Multi-label decisions (a label is predicted at sigmoid ≥ 0.5) and their <see cref="MultiLabelScores"/>, with sklearn's conventions.</summary>
public static class MultiLabelMetrics
{
    /// <param name="yTrue">Label sets (ids in 0..K−1), one per sample.</param>
    /// <param name="yPred">Predicted label sets, one per sample.</param>
    public static MultiLabelScores Compute(IReadOnlyList<int[]> yTrue, IReadOnlyList<int[]> yPred, int numLabels)
    {
        if (yTrue.Count != yPred.Count) throw new ArgumentException($"{yTrue.Count} true label sets vs {yPred.Count} predictions");
        var tp = new int[numLabels];
        var fp = new int[numLabels];
        var fn = new int[numLabels];
        var support = new int[numLabels];
        int exact = 0;
        for (int i = 0; i < yTrue.Count; i++)
        {
            foreach (var c in yTrue[i].Concat(yPred[i]))
                if ((uint)c >= (uint)numLabels) throw new SpeechTokException($"sample {i}: label {c} is outside 0..{numLabels - 1}");
            for (int c = 0; c < numLabels; c++)
            {
                bool t = yTrue[i].Contains(c), p = yPred[i].Contains(c);
                if (t) support[c]++;
                if (t && p) tp[c]++; else if (p) fp[c]++; else if (t) fn[c]++;
            }
            if (yTrue[i].Order().SequenceEqual(yPred[i].Order())) exact++;
        }
        static double F1(int tp, int fp, int fn) => 2 * tp + fp + fn == 0 ? 0 : 2.0 * tp / (2 * tp + fp + fn);
        var f1 = Enumerable.Range(0, numLabels).Select(c => F1(tp[c], fp[c], fn[c])).ToArray();
        var present = Enumerable.Range(0, numLabels).Where(c => support[c] > 0).ToList();
        return new MultiLabelScores(
            f1,
            present.Count == 0 ? 0 : present.Average(c => f1[c]),
            numLabels == 0 ? 0 : f1.Average(),
            F1(tp.Sum(), fp.Sum(), fn.Sum()),
            yTrue.Count == 0 ? 0 : (double)exact / yTrue.Count);
    }

    /// <summary>The label set of a probability row: every label with p ≥ 0.5.</summary>
    public static int[] Decide(ReadOnlySpan<float> probabilities)
    {
        var set = new List<int>();
        for (int c = 0; c < probabilities.Length; c++) if (probabilities[c] >= 0.5f) set.Add(c);
        return set.ToArray();
    }
}
