namespace SpeechTok.Evaluation;

/// <summary>Metrics of probability predictions, bagging over seeds and majority vote.</summary>
public static class ClassificationMetrics
{
    /// <summary>Model-selection metrics (HF <c>metric_for_best_model</c> without the <c>eval_</c> prefix).</summary>
    public const string MacroF1Metric = "macro_f1", F1Class1Metric = "f1_class_1";

    /// <summary>
    /// Name of the model-selection metric: <paramref name="metricForBestModel"/>, or by default F1 of class 1 for binary
    /// tasks (the method's AFD, whose class 1 is "fallacy") and macro-F1 otherwise.
    /// </summary>
    public static string SelectionName(TaskKind task, string? metricForBestModel = null) =>
        metricForBestModel ?? (task == TaskKind.Binary ? F1Class1Metric : MacroF1Metric);

    /// <summary>Refuses a model-selection metric that is unknown or, like f1_class_1 outside binary tasks, does not apply to <paramref name="task"/>.</summary>
    public static void ValidateSelection(TaskKind task, string? metricForBestModel)
    {
        if (metricForBestModel is null or MacroF1Metric) return;
        if (metricForBestModel != F1Class1Metric)
            throw new SpeechTokException($"--metric-for-best-model '{metricForBestModel}': expected {MacroF1Metric} or {F1Class1Metric}");
        if (task != TaskKind.Binary)
            throw new SpeechTokException($"--metric-for-best-model {F1Class1Metric} needs a binary task; this one is {task.ToString().ToLowerInvariant()} (use {MacroF1Metric})");
    }

    /// <summary>Argmax with the lowest index winning ties (numpy).</summary>
    public static int Argmax(ReadOnlySpan<float> p)
    {
        int best = 0;
        for (int i = 1; i < p.Length; i++) if (p[i] > p[best]) best = i;
        return best;
    }

    /// <summary>
    /// Single-label: predictions by argmax; macro_f1 over the labels present in y_true (the original's test
    /// convention), macro_f1_all_labels over 0..K−1, f1_class_1 for binary tasks; the selection metric is
    /// sklearn's default macro-F1 (labels in y_true ∪ y_pred) as in the HF compute_metrics, or F1 of class 1.
    /// Multi-label: a label is predicted when its sigmoid is ≥ 0.5; per-label F1, macro-F1 over the labels present in
    /// y_true and over all labels, micro-F1, subset accuracy; the selection metric is macro-F1 over all labels.
    /// <paramref name="metricForBestModel"/> picks the selection metric (<see cref="SelectionName"/>).
    /// </summary>
    public static MetricSet Compute(TaskKind task, int numLabels, IReadOnlyList<int[]> labels, IReadOnlyList<float[]> probs, string? metricForBestModel = null)
    {
        ValidateSelection(task, metricForBestModel);
        if (labels.Count != probs.Count) throw new SpeechTokException($"{labels.Count} labels vs {probs.Count} probability rows");
        if (labels.Count == 0) throw new SpeechTokException("cannot compute metrics of an empty split");
        foreach (var p in probs)
            if (p.Length != numLabels) throw new SpeechTokException($"a probability row has {p.Length} entries, num_labels is {numLabels}");
        if (task == TaskKind.Multilabel)
        {
            var sets = probs.Select(p => MultiLabelMetrics.Decide(p)).ToList();
            var m = MultiLabelMetrics.Compute(labels, sets, numLabels);
            return new MetricSet(m.MacroF1, m.MacroF1AllLabels, null, m.SubsetAccuracy, null, m.MacroF1AllLabels, m.PerLabelF1, m.MicroF1);
        }
        for (int i = 0; i < labels.Count; i++)
            if (labels[i].Length != 1) throw new SpeechTokException($"sample {i} has {labels[i].Length} labels; a single-label task takes exactly one");
        var yTrue = labels.Select(l => l[0]).ToList();
        foreach (var y in yTrue)
            if ((uint)y >= (uint)numLabels) throw new SpeechTokException($"label {y} is outside [0, {numLabels}) (num_labels = {numLabels})");
        var pred = probs.Select(p => Argmax(p)).ToArray();
        double? f1c1 = numLabels == 2 ? Metrics.F1(yTrue, pred, 1) : null;
        double sel = SelectionName(task, metricForBestModel) == F1Class1Metric ? Metrics.F1(yTrue, pred, 1) : Metrics.MacroF1Union(yTrue, pred);
        return new MetricSet(Metrics.MacroF1Present(yTrue, pred), Metrics.MacroF1All(yTrue, pred, numLabels), f1c1,
            Metrics.Accuracy(yTrue, pred), Metrics.ConfusionMatrix(yTrue, pred, numLabels), sel);
    }

    /// <summary>Validation loss from probabilities: class-weighted NLL (Σ w_y·nll / Σ w_y) or mean BCE.</summary>
    public static double Loss(TaskKind task, IReadOnlyList<int[]> labels, IReadOnlyList<float[]> probs, float[] classWeights)
    {
        const double tiny = 1e-12;
        if (task == TaskKind.Multilabel)
        {
            double s = 0;
            int n = 0;
            for (int i = 0; i < probs.Count; i++)
                for (int c = 0; c < probs[i].Length; c++, n++)
                    s -= labels[i].Contains(c) ? Math.Log(Math.Max(probs[i][c], tiny)) : Math.Log(Math.Max(1 - probs[i][c], tiny));
            return s / n;
        }
        double num = 0, den = 0;
        for (int i = 0; i < probs.Count; i++)
        {
            int y = labels[i][0];
            double w = classWeights.Length == 0 ? 1 : classWeights[y];
            num -= w * Math.Log(Math.Max(probs[i][y], tiny));
            den += w;
        }
        return num / den;
    }

    /// <summary>Probability averaging: the mean of the seeds' probability matrices.</summary>
    public static float[][] AverageProbabilities(IReadOnlyList<float[][]> perSeed)
    {
        if (perSeed.Count == 0) throw new SpeechTokException("no seed to bag");
        int n = perSeed[0].Length;
        if (perSeed.Any(p => p.Length != n)) throw new SpeechTokException("seeds have predictions for different numbers of samples");
        return Enumerable.Range(0, n).Select(i =>
        {
            var avg = new double[perSeed[0][i].Length];
            foreach (var p in perSeed) for (int c = 0; c < avg.Length; c++) avg[c] += p[i][c];
            return avg.Select(v => (float)(v / perSeed.Count)).ToArray();
        }).ToArray();
    }

    /// <summary>
    /// Multi-label vote, label by label: on when more than half of the seeds predict it (p ≥ 0.5); an even split
    /// is decided by the seeds' mean probability (≥ 0.5). Returns probability-like rows of 0 and 1.
    /// </summary>
    public static float[][] MajorityVoteMultiLabel(IReadOnlyList<float[][]> perSeed)
    {
        var mean = AverageProbabilities(perSeed);
        return mean.Select((m, i) => m.Select((p, c) =>
        {
            int on = perSeed.Count(s => s[i][c] >= 0.5f);
            return 2 * on > perSeed.Count || (2 * on == perSeed.Count && p >= 0.5f) ? 1f : 0f;
        }).ToArray()).ToArray();
    }

    /// <summary>
    /// Majority vote of the seeds' argmax predictions; a tie between classes goes to the tied class with the
    /// largest probability summed over the seeds (then the lowest index).
    /// </summary>
    public static int[] MajorityVote(IReadOnlyList<float[][]> perSeed)
    {
        if (perSeed.Count == 0) throw new SpeechTokException("no seed to vote");
        int n = perSeed[0].Length;
        var result = new int[n];
        for (int i = 0; i < n; i++)
        {
            int k = perSeed[0][i].Length;
            var votes = new int[k];
            var mass = new double[k];
            foreach (var p in perSeed)
            {
                votes[Argmax(p[i])]++;
                for (int c = 0; c < k; c++) mass[c] += p[i][c];
            }
            int top = votes.Max(), best = -1;
            for (int c = 0; c < k; c++)
                if (votes[c] == top && (best < 0 || mass[c] > mass[best])) best = c;
            result[i] = best;
        }
        return result;
    }
}
