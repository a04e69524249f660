using SpeechTok.Audio;
using SpeechTok.Audio.Features;
using SpeechTok.Evaluation;
using SpeechTok.IO;
using SpeechTok.Tensors;

namespace SpeechTok.Selection;

/// <summary>
/// The classic baselines (METHOD §5) as L2 logistic regression with balanced class weights:
/// <c>bow</c> = CountVectorizer counts (fit on train), <c>mfcc</c> = the 44-d time-mean MFCC/spectral vector,
/// z-scored with train statistics, <c>bow-mfcc</c> = both side by side. C is chosen on the val split's
/// macro-F1 (labels present in val; ties → smaller C), the model is fit on train, scored on test.
/// Multi-label tasks: one-vs-rest, one binary model a label (present vs absent) at a shared C, chosen on the
/// val macro-F1 over labels; a label is predicted when its model says p ≥ 0.5.
/// </summary>
public static class Baselines
{
    public static readonly string[] Systems = ["bow", "mfcc", "bow-mfcc"];
    public static readonly double[] DefaultGrid = [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];

    /// <param name="audioFeatures">The 44-d vector of a sample (only called for the MFCC systems).</param>
    public static SystemResult Run(string system, Manifest manifest, IReadOnlyList<double> grid, Func<ManifestSample, float[]>? audioFeatures = null, Action<string>? warn = null)
    {
        if (Array.IndexOf(Systems, system) < 0) throw new SpeechTokException($"unknown baseline '{system}' (expected {string.Join(", ", Systems)})");
        var train = manifest.Split("train");
        var val = manifest.Split("val");
        var test = manifest.Split("test");
        manifest.RequireAllClassesInTrain();

        CsrMatrix? trX = null, vaX = null, teX = null;
        if (system.Contains("bow"))
        {
            var vec = CountVectorizer.Fit(train.Select(s => s.Text), $"{manifest.Path} (train split)");
            trX = vec.Transform(train.Select(s => s.Text).ToList());
            vaX = vec.Transform(val.Select(s => s.Text).ToList());
            teX = vec.Transform(test.Select(s => s.Text).ToList());
        }
        if (system.Contains("mfcc"))
        {
            if (audioFeatures == null) throw new SpeechTokException($"baseline '{system}' needs audio features");
            manifest.RequireClips();
            var (a, b, c) = (Features(train, audioFeatures), Features(val, audioFeatures), Features(test, audioFeatures));
            var z = ZScore.Fit(a);
            trX = Join(trX, [.. a.Select(z.Apply)]); vaX = Join(vaX, [.. b.Select(z.Apply)]); teX = Join(teX, [.. c.Select(z.Apply)]);
        }

        if (manifest.Task == TaskKind.Multilabel) return OneVsRest(system, manifest.NumClasses, grid, (trX!, train), (vaX!, val), (teX!, test), warn);
        int k = manifest.NumClasses;
        var yTr = train.Select(s => s.Label).ToArray();
        var yVa = val.Select(s => s.Label).ToArray();
        var yTe = test.Select(s => s.Label).ToArray();
        var fits = LogisticRegression.FitPath(trX!, yTr, k, grid, Penalty.L2, new LogisticOptions { Tolerance = FitTolerance, MaxOuterIterations = FitMaxIterations });
        WarnUnconverged(grid, fits, warn);
        var scores = fits.Select(f => Metrics.MacroF1Present(yVa, f.Predict(vaX!))).ToList();
        int best = Best(grid, scores);
        var pt = fits[best].Predict(teX!);
        bool binary = manifest.Task == TaskKind.Binary;
        double macro = Metrics.MacroF1Present(yTe, pt), all = Metrics.MacroF1All(yTe, pt, k);
        double? f1c1 = binary ? Metrics.F1(yTe, pt, 1) : null;
        double accuracy = Metrics.Accuracy(yTe, pt);
        // The fit is deterministic (convex, solved to the KKT tolerance): one "seed" (no spread to report), and
        // bagging or voting over a single model is that model.
        var run = new SeedScore { Seed = 0, MacroF1 = macro, MacroF1AllLabels = all, F1Class1 = f1c1, Accuracy = accuracy };
        return SystemResult.FromSeeds(system, [run]) with
        {
            MacroF1Bagged = macro,
            MacroF1Vote = macro,
            AccuracyBagged = accuracy,
            Details = ArtifactJson.ToNode(new BaselineDetails
            {
                C = grid[best], ValMacroF1 = scores[best],
                Grid = grid.Select((c, i) => new BaselineDetails.GridPoint(c, scores[i], fits[i].Kkt)).ToList(),
            }),
        };
    }

    /// <summary>The best val score's index; ties → the smaller C.</summary>
    private static int Best(IReadOnlyList<double> grid, IReadOnlyList<double> scores)
    {
        int best = 0;
        for (int i = 1; i < grid.Count; i++)
            if (scores[i] > scores[best] || (scores[i] == scores[best] && grid[i] < grid[best])) best = i;
        return best;
    }

    /// <summary>The L2 fits' KKT tolerance.</summary>
    private const double FitTolerance = 1e-6;

    /// <summary>
    /// Outer iterations an L2 fit may take to reach <see cref="FitTolerance"/>. The selection's default (500) stopped the
    /// demo's bow at C = 10 (KKT 4e-5) and bow-mfcc/mfcc at C ≥ 0.3 (up to 0.15) short of it: dense, correlated MFCC columns
    /// at large C converge slowly under coordinate descent. Reaching it takes ~40 s for the demo's mfcc grid on 2 cores.
    /// </summary>
    private const int FitMaxIterations = 100_000;

    /// <summary>Warns, as sklearn's ConvergenceWarning, about the grid's fits that stopped above <see cref="FitTolerance"/>.</summary>
    private static void WarnUnconverged(IReadOnlyList<double> grid, IReadOnlyList<LogisticFit> fits, Action<string>? warn, string? label = null)
    {
        var bad = Enumerable.Range(0, grid.Count).Where(i => !fits[i].Converged).ToList();
        if (bad.Count == 0 || warn == null) return;
        warn($"warning: the L2 fit{(label == null ? "" : $" of {label}")} at C = {string.Join(", ", bad.Select(i => grid[i].ToString("G4", System.Globalization.CultureInfo.InvariantCulture)))} " +
            $"stopped after {fits[bad[0]].OuterIterations} iterations with KKT residual up to {bad.Max(i => fits[i].Kkt):G3}, above its tolerance {FitTolerance:G3} " +
            "(sklearn would raise a ConvergenceWarning): the choice of C and the scores may come from an unfinished fit");
    }

    private static SystemResult OneVsRest(string system, int k, IReadOnlyList<double> grid, (CsrMatrix X, IReadOnlyList<ManifestSample> S) train,
        (CsrMatrix X, IReadOnlyList<ManifestSample> S) val, (CsrMatrix X, IReadOnlyList<ManifestSample> S) test, Action<string>? warn)
    {
        var fits = Enumerable.Range(0, k).Select(c => LogisticRegression.FitPath(train.X,
            MultiLabelSelection.Targets(train.S.Select(s => s.Labels).ToList(), c), 2, grid, Penalty.L2, new LogisticOptions { Tolerance = FitTolerance, MaxOuterIterations = FitMaxIterations })).ToList();
        for (int c = 0; c < k; c++) WarnUnconverged(grid, fits[c], warn, $"label {c}");
        int[][] Predict(int i, CsrMatrix x)
        {
            var sets = Enumerable.Range(0, x.Rows).Select(_ => new List<int>()).ToArray();
            for (int c = 0; c < k; c++)
            {
                var p = fits[c][i].Predict(x);
                for (int r = 0; r < p.Length; r++) if (p[r] == 1) sets[r].Add(c);
            }
            return sets.Select(s => s.ToArray()).ToArray();
        }
        var yVa = val.S.Select(s => s.Labels).ToList();
        var scores = grid.Select((_, i) => MultiLabelMetrics.Compute(yVa, Predict(i, val.X), k).MacroF1).ToList();
        int best = Best(grid, scores);
        var m = MultiLabelMetrics.Compute(test.S.Select(s => s.Labels).ToList(), Predict(best, test.X), k);
        var run = new SeedScore { Seed = 0, MacroF1 = m.MacroF1, MacroF1AllLabels = m.MacroF1AllLabels, MicroF1 = m.MicroF1, PerLabelF1 = m.PerLabelF1, Accuracy = m.SubsetAccuracy };
        return SystemResult.FromSeeds(system, [run]) with
        {
            MacroF1Bagged = m.MacroF1,
            MacroF1Vote = m.MacroF1,
            AccuracyBagged = m.SubsetAccuracy,
            Details = ArtifactJson.ToNode(new BaselineDetails
            {
                C = grid[best], ValMacroF1 = scores[best], OneVsRest = true,
                Grid = grid.Select((c, i) => new BaselineDetails.GridPoint(c, scores[i], fits.Max(f => f[i].Kkt))).ToList(),
            }),
        };
    }

    /// <summary>
    /// Fails when DIR/results.json holds results that <see cref="WriteResults"/> would refuse to add to (another manifest or
    /// task, or this manifest before an edit), so that the baseline is not computed in vain.
    /// </summary>
    public static void CheckResults(string outDir, Manifest manifest) =>
        ExperimentResults.Existing(Path.Combine(outDir, ExperimentResults.FileName), manifest.Path, manifest.Sha256, ExperimentResults.TaskName(manifest.Task));

    /// <summary>Adds or replaces the system's entry in DIR/results.json (the common schema); returns its path.</summary>
    public static string WriteResults(string outDir, Manifest manifest, SystemResult result)
    {
        var path = Path.Combine(outDir, ExperimentResults.FileName);
        ExperimentResults.Upsert(path, manifest.Path, manifest.Sha256, ExperimentResults.TaskName(manifest.Task), result, manifest.LabelNames);
        return path;
    }

    /// <summary>The METHOD §5 vector of every sample (clips concatenated, 16 kHz mono): channel 0 of each clip, or with
    /// <paramref name="mixdown"/> the clips' channels averaged (<c>baseline --mixdown</c>, as <c>tokenize --mixdown</c>).</summary>
    public static Func<ManifestSample, float[]> MfccFeaturesOf(bool mixdown) => s => BaselineFeatures.Compute(AudioLoader.LoadSample(s, mixdown));

    /// <summary>
    /// <paramref name="result"/> with <c>"mixdown": true</c> in its details when <paramref name="mixdown"/> and the system read
    /// clips (mfcc, bow-mfcc), so that results.json says how the clips were read; otherwise unchanged (absent: channel 0).
    /// </summary>
    public static SystemResult RecordMixdown(SystemResult result, bool mixdown) =>
        mixdown && result.System.Contains("mfcc", StringComparison.Ordinal)
            ? result with { Details = ArtifactJson.ToNode(BaselineDetails.Of(result) with { Mixdown = true }) }
            : result;

    private static float[][] Features(IReadOnlyList<ManifestSample> samples, Func<ManifestSample, float[]> f)
    {
        var x = new float[samples.Count][];
        Threading.For(samples.Count, i => x[i] = f(samples[i]));
        return x;
    }

    private static CsrMatrix Join(CsrMatrix? left, float[][] dense)
    {
        var rows = dense.Select(r => r.Select((v, j) => new KeyValuePair<int, double>(j, v))).ToList();
        var m = CsrMatrix.FromRows(dense[0].Length, rows);
        return left == null ? m : left.HStack(m);
    }
}
