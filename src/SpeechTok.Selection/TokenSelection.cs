namespace SpeechTok.Selection;

/// <summary>
/// The selection problem after METHOD §2.5 steps 1–4: [audio counts | text counts] split into inner
/// train/test rows, TF-IDF fit on the inner-train rows (L2 row norm over the joint row), then the
/// with_mean=False scaler fit on the same rows.
/// </summary>
public sealed class SelectionProblem
{
    public required int AudioColumns { get; init; }
    public required int NumClasses { get; init; }
    public required CsrMatrix Train { get; init; }
    public required int[] TrainLabels { get; init; }
    public required CsrMatrix Test { get; init; }
    public required int[] TestLabels { get; init; }
    public required TfidfTransformer Tfidf { get; init; }
    public required StandardScalerNoMean Scaler { get; init; }

    /// <param name="counts">Raw counts, audio columns first (<paramref name="audioColumns"/> of them), then any text columns.</param>
    public static SelectionProblem Prepare(CsrMatrix counts, int audioColumns, int[] labels, int numClasses, int[] innerTrain, int[] innerTest)
    {
        if (labels.Length != counts.Rows) throw new ArgumentException($"{counts.Rows} rows but {labels.Length} labels");
        if (innerTrain.Length == 0) throw new SpeechTokException("the inner training split is empty");
        var trainCounts = counts.SelectRows(innerTrain);
        var tfidf = TfidfTransformer.Fit(trainCounts);
        var trainTf = tfidf.Transform(trainCounts);
        var scaler = StandardScalerNoMean.Fit(trainTf);
        return new SelectionProblem
        {
            AudioColumns = audioColumns,
            NumClasses = numClasses,
            Train = scaler.Transform(trainTf),
            TrainLabels = innerTrain.Select(i => labels[i]).ToArray(),
            Test = scaler.Transform(tfidf.Transform(counts.SelectRows(innerTest))),
            TestLabels = innerTest.Select(i => labels[i]).ToArray(),
            Tfidf = tfidf,
            Scaler = scaler,
        };
    }

    /// <summary>The same features with binary targets (one label of a one-vs-rest problem).</summary>
    public SelectionProblem Relabel(int[] trainLabels, int[] testLabels)
    {
        if (trainLabels.Length != Train.Rows || testLabels.Length != Test.Rows)
            throw new ArgumentException($"{trainLabels.Length}/{testLabels.Length} labels for {Train.Rows}/{Test.Rows} rows");
        return new SelectionProblem
        {
            AudioColumns = AudioColumns, NumClasses = 2, Train = Train, TrainLabels = trainLabels, Test = Test, TestLabels = testLabels,
            Tfidf = Tfidf, Scaler = Scaler,
        };
    }
}

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

public static class TokenSelection
{
    public const int CodebookSize = 1024;

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

    /// <summary>
    /// Bag of audio tokens: counts of feature = i·1024 + code over the used codebooks (<paramref name="layers"/>,
    /// 1-based RVQ layer numbers; i is the position among them).
    /// </summary>
    public static CsrMatrix AudioBagOfTokens(IReadOnlyList<(string Key, int[][] Codes)> samples, IReadOnlyList<int> layers)
    {
        var rows = new List<IEnumerable<KeyValuePair<int, double>>>(samples.Count);
        foreach (var (key, codes) in samples)
        {
            var counts = new Dictionary<int, double>();
            for (int i = 0; i < layers.Count; i++)
            {
                int layer = layers[i] - 1;
                if ((uint)layer >= (uint)codes.Length)
                    throw new SpeechTokException($"sample {key}: codes have {codes.Length} RVQ layers, layer {layers[i]} requested");
                foreach (var code in codes[layer])
                {
                    if ((uint)code >= CodebookSize) throw new SpeechTokException($"sample {key}: RVQ layer {layers[i]} has code {code} outside 0..{CodebookSize - 1}");
                    int f = i * CodebookSize + code;
                    counts[f] = counts.GetValueOrDefault(f) + 1;
                }
            }
            rows.Add(counts);
        }
        return CsrMatrix.FromRows(layers.Count * CodebookSize, rows);
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

/// <summary>SplitMix64 (Steele et al.): the project's small seeded generator for splits and ablations.</summary>
internal sealed class SplitMix64(ulong seed)
{
    private ulong _state = seed;

    public ulong Next()
    {
        _state += 0x9E3779B97F4A7C15UL;
        return Mix(_state);
    }

    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, n) by Lemire's multiply-shift on the top 32 bits (n ≤ 2³¹).</summary>
    public int NextBelow(int n) => (int)(((Next() >> 32) * (ulong)n) >> 32);

    public void Shuffle(int[] a)
    {
        for (int i = a.Length - 1; i > 0; i--)
        {
            int j = NextBelow(i + 1);
            (a[i], a[j]) = (a[j], a[i]);
        }
    }
}
