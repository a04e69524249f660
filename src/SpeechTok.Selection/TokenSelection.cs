using SpeechTok.Codec;
using SpeechTok.Evaluation;
using SpeechTok.Tensors;

namespace SpeechTok.Selection;

/// <summary>METHOD §2.5: L1 fits over a C path, the mean-importance threshold, the bag of audio tokens, the seeded splits and the random ablation.</summary>
public static class TokenSelection
{
    /// <summary>Fits L1-LR at every C and applies the mean-importance threshold to each.</summary>
    public static IReadOnlyList<SelectionOutcome> Run(SelectionProblem problem, IReadOnlyList<double> cs, LogisticOptions? options = null)
    {
        var fits = LogisticRegression.FitPath(problem.Train, problem.TrainLabels, problem.NumClasses, cs, Penalty.L1, options);
        return fits.Select(f => Evaluate(problem, f)).ToList();
    }

    /// <summary>importance_j = Σ_k |coef_kj|; keep importance ≥ mean over all columns; text columns dropped from the audio list.</summary>
    public static SelectionOutcome Evaluate(SelectionProblem problem, LogisticFit fit)
    {
        var imp = fit.Importance();
        double threshold = imp.Average();
        var cols = Enumerable.Range(0, imp.Length).Where(j => imp[j] >= threshold).ToArray();
        var pred = fit.Predict(problem.Test);
        return new SelectionOutcome(fit, threshold, cols, cols.Where(j => j < problem.AudioColumns).ToArray(),
            problem.TestLabels.Length == 0 ? double.NaN : Metrics.MacroF1Union(problem.TestLabels, pred),
            problem.TestLabels.Length == 0 ? double.NaN : Metrics.F1(problem.TestLabels, pred, 1));
    }

    /// <summary>The all-zero fit selects every column under the mean rule; the original silently kept them all.</summary>
    public static void RequireNonZero(SelectionOutcome o)
    {
        if (o.AllZero)
            throw new SpeechTokException($"at C={o.Fit.C} every coefficient is zero, so the mean threshold (0) would select all {o.Fit.Coef[0].Length} columns; use a larger C");
    }

    /// <summary>Bag of audio tokens: per sample, the count of every feature of <paramref name="layout"/> (columns 0..FeatureCount−1).</summary>
    public static CsrMatrix AudioBagOfTokens(IReadOnlyList<(string Key, int[][] Codes)> samples, AudioFeatureLayout layout)
    {
        var rows = new List<IEnumerable<KeyValuePair<int, double>>>(samples.Count);
        foreach (var (key, codes) in samples)
        {
            var counts = new Dictionary<int, double>();
            for (int i = 0; i < layout.Layers.Count; i++)
            {
                int layer = layout.Layers[i];
                if ((uint)layer >= (uint)codes.Length)
                    throw new SpeechTokException($"sample {key}: codes have {codes.Length} RVQ layers, layer {layer + 1} requested");
                foreach (var code in codes[layer])
                {
                    if ((uint)code >= (uint)layout.CodebookSize)
                        throw new SpeechTokException($"sample {key}: RVQ layer {layer + 1} has code {code} outside 0..{layout.CodebookSize - 1}");
                    int f = layout.Encode(i, code);
                    counts[f] = counts.GetValueOrDefault(f) + 1;
                }
            }
            rows.Add(counts);
        }
        return CsrMatrix.FromRows(layout.FeatureCount, rows);
    }

    /// <summary>
    /// Stratified split, seeded: each class's rows are shuffled and the test share of the split is
    /// ⌈n·testFraction⌉ rows, apportioned to classes by largest remainder (ties → lower class).
    /// Both index lists are returned ascending.
    /// </summary>
    public static (int[] Train, int[] Test) StratifiedSplit(int[] labels, int numClasses, double testFraction, ulong seed)
    {
        var (shuffled, quota) = Stratify(labels, numClasses, testFraction, seed);
        var train = shuffled.SelectMany((idx, c) => idx.Skip(quota[c])).Order().ToArray();
        var test = shuffled.SelectMany((idx, c) => idx.Take(quota[c])).Order().ToArray();
        return (train, test);
    }

    /// <summary>
    /// Stratified k-fold (as sklearn's <c>StratifiedKFold(shuffle=True)</c>, not its exact draw): the test rows of each of
    /// <paramref name="folds"/> folds, ascending; together they partition 0..n−1. Fold 0 is the test side of
    /// <see cref="StratifiedSplit"/> at 1/<paramref name="folds"/> with the same seed (for 5 folds, the 80/20 inner split);
    /// the other rows, class by class in their shuffled order, are dealt round-robin to folds 1..k−1, so each fold holds
    /// every class's share to within one row and the fold sizes differ by at most one.
    /// </summary>
    /// <exception cref="SpeechTokException">Fewer than 2 folds, or more folds than rows.</exception>
    public static int[][] StratifiedFolds(int[] labels, int numClasses, int folds, ulong seed)
    {
        if (folds < 2 || folds > labels.Length) throw new SpeechTokException($"{folds} cross-validation folds of {labels.Length} rows: need 2..{labels.Length}");
        var (shuffled, quota) = Stratify(labels, numClasses, 1.0 / folds, seed);
        var test = Enumerable.Range(0, folds).Select(_ => new List<int>()).ToArray();
        int next = 0;
        for (int c = 0; c < numClasses; c++)
        {
            test[0].AddRange(shuffled[c].Take(quota[c]));
            foreach (var i in shuffled[c].Skip(quota[c])) test[1 + next++ % (folds - 1)].Add(i);
        }
        return test.Select(f => f.Order().ToArray()).ToArray();
    }

    /// <summary>Each class's rows shuffled (one generator, class by class) and its test quota for <see cref="StratifiedSplit"/>.</summary>
    private static (int[][] Shuffled, int[] Quota) Stratify(int[] labels, int numClasses, double testFraction, ulong seed)
    {
        int n = labels.Length;
        int nTest = (int)Math.Ceiling(n * testFraction);
        var byClass = Enumerable.Range(0, numClasses).Select(c => new List<int>()).ToArray();
        for (int i = 0; i < n; i++) byClass[labels[i]].Add(i);
        var quota = new int[numClasses];
        var rem = new double[numClasses];
        for (int c = 0; c < numClasses; c++)
        {
            double exact = (double)byClass[c].Count * nTest / n;
            quota[c] = (int)Math.Floor(exact);
            rem[c] = exact - quota[c];
        }
        int left = nTest - quota.Sum();
        foreach (var c in Enumerable.Range(0, numClasses).OrderByDescending(c => rem[c]).ThenBy(c => c).Take(left)) quota[c]++;
        var rng = new SplitMix64(seed);
        var shuffled = byClass.Select(list =>
        {
            var idx = list.ToArray();
            rng.Shuffle(idx);
            return idx;
        }).ToArray();
        return (shuffled, quota);
    }

    /// <summary>The random-selection ablation: <paramref name="k"/> distinct ids among <paramref name="candidates"/>, seeded, ascending.</summary>
    public static int[] RandomSelection(int k, IReadOnlyList<int> candidates, ulong seed)
    {
        if (k < 1 || k > candidates.Count) throw new SpeechTokException($"--random {k}: must be between 1 and {candidates.Count} (the audio columns it draws from)");
        var all = candidates.ToArray();
        new SplitMix64(seed).Shuffle(all);
        var pick = all.Take(k).ToArray();
        Array.Sort(pick);
        return pick;
    }
}
