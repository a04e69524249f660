using SpeechTok.Evaluation;

namespace SpeechTok.Selection;

/// <summary>
/// Token selection for multi-label tasks: one L1 logistic regression a label (one-vs-rest, label present vs
/// absent, balanced weights, the same C and the same TF-IDF + scaler features), SelectFromModel's mean
/// threshold per label, and the union of the labels' audio tokens as the selection. A label whose fit is all
/// zero at a C keeps nothing there (the mean rule would otherwise keep every column).
/// </summary>
public static class MultiLabelSelection
{
    /// <summary>Fits every C of <paramref name="cs"/> for every label; results in the order of <paramref name="cs"/>.</summary>
    /// <param name="problem">The prepared features; its labels are ignored (each label gets its own binary targets).</param>
    /// <param name="trainSets">Label sets of the inner-train rows; <paramref name="testSets"/> of the inner-test rows.</param>
    public static IReadOnlyList<MultiLabelOutcome> Run(SelectionProblem problem, IReadOnlyList<int[]> trainSets, IReadOnlyList<int[]> testSets,
        int numLabels, IReadOnlyList<double> cs, LogisticOptions? options = null, Func<int, string>? labelText = null)
    {
        var perLabel = new List<IReadOnlyList<SelectionOutcome>>(numLabels);
        for (int c = 0; c < numLabels; c++)
        {
            var yTrain = Targets(trainSets, c);
            int positives = yTrain.Sum();
            if (positives == 0 || positives == yTrain.Length)
                throw new SpeechTokException($"label {labelText?.Invoke(c) ?? c.ToString()} is {(positives == 0 ? "absent from" : "on for")} every sample of the inner training split ({yTrain.Length} rows); too rare (or too common) to select tokens for");
            perLabel.Add(TokenSelection.Run(problem.Relabel(yTrain, Targets(testSets, c)), cs, options));
        }
        return cs.Select((c, j) =>
        {
            var outcomes = perLabel.Select(o => o[j]).ToList();
            var union = outcomes.SelectMany(MultiLabelOutcome.Kept).Distinct().Order().ToArray();
            var pred = Enumerable.Range(0, testSets.Count).Select(_ => new List<int>()).ToArray();
            for (int l = 0; l < numLabels; l++)
            {
                var p = outcomes[l].Fit.Predict(problem.Test);
                for (int i = 0; i < p.Length; i++) if (p[i] == 1) pred[i].Add(l);
            }
            var inner = MultiLabelMetrics.Compute(testSets, pred.Select(p => p.ToArray()).ToList(), numLabels);
            return new MultiLabelOutcome(c, outcomes, union, inner);
        }).ToList();
    }

    /// <summary>Binary one-vs-rest targets of <paramref name="label"/>: 1 where the sample has it.</summary>
    public static int[] Targets(IReadOnlyList<int[]> sets, int label) => sets.Select(s => s.Contains(label) ? 1 : 0).ToArray();

    /// <summary>Dense ids of the distinct label sets (for a stratified split by label combination).</summary>
    public static int[] CombinationIds(IReadOnlyList<int[]> sets, out int count)
    {
        var ids = new Dictionary<string, int>();
        var result = sets.Select(s =>
        {
            var key = string.Join(";", s.Order());
            if (!ids.TryGetValue(key, out int id)) ids[key] = id = ids.Count;
            return id;
        }).ToArray();
        count = ids.Count;
        return result;
    }

    /// <summary>The per-label records of selection.json: what each label's model keeps at the chosen C.</summary>
    public static List<SelectionFile.LabelSelection> PerLabel(MultiLabelOutcome o, Func<int, string?> name) => o.PerLabel.Select((p, l) => new SelectionFile.LabelSelection
    {
        Label = l,
        Name = name(l),
        AllZero = p.AllZero,
        NonzeroCoefficients = p.Fit.NonZeroCount,
        Threshold = p.Threshold,
        SelectedAudio = MultiLabelOutcome.Kept(p),
        SelectedText = p.AllZero ? 0 : p.SelectedText,
        InnerF1 = o.Inner.PerLabelF1[l],
        Objective = p.Fit.Objective,
        KktResidual = p.Fit.Kkt,
        Converged = p.Fit.Converged,
    }).ToList();
}
