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
        var train = new List<int>();
        var test = new List<int>();
        for (int c = 0; c < numClasses; c++)
        {
            var idx = byClass[c].ToArray();
            rng.Shuffle(idx);
            test.AddRange(idx.Take(quota[c]));
            train.AddRange(idx.Skip(quota[c]));
        }
        train.Sort(); test.Sort();
        return (train.ToArray(), test.ToArray());
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
