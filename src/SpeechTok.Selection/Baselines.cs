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
/// </summary>
public static class Baselines
{
    public static readonly string[] Systems = ["bow", "mfcc", "bow-mfcc"];
    public static readonly double[] DefaultGrid = [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];

    /// <param name="audioFeatures">The 44-d vector of a sample (only called for the MFCC systems).</param>
    public static SystemResult Run(string system, Manifest manifest, IReadOnlyList<double> grid, Func<ManifestSample, float[]>? audioFeatures = null)
    {
        if (Array.IndexOf(Systems, system) < 0) throw new SpeechTokException($"unknown baseline '{system}' (expected {string.Join(", ", Systems)})");
        if (manifest.Task == TaskKind.Multilabel) throw new SpeechTokException($"{manifest.Path}: the baselines need single-label samples (binary or multiclass)");
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
            ZScore(a, [a, b, c]);
            trX = Join(trX, a); vaX = Join(vaX, b); teX = Join(teX, c);
        }

        int k = manifest.NumClasses;
        var yTr = train.Select(s => s.Label).ToArray();
        var yVa = val.Select(s => s.Label).ToArray();
        var yTe = test.Select(s => s.Label).ToArray();
        var fits = LogisticRegression.FitPath(trX!, yTr, k, grid, Penalty.L2, new LogisticOptions { Tolerance = 1e-6 });
        var gridPoints = new List<BaselineDetails.GridPoint>();
        int best = -1;
        double bestScore = double.NegativeInfinity;
        for (int i = 0; i < grid.Count; i++)
        {
            var pv = fits[i].Predict(vaX!);
            double score = Metrics.MacroF1Present(yVa, pv);
            gridPoints.Add(new BaselineDetails.GridPoint(grid[i], score, fits[i].Kkt));
            if (score > bestScore || (score == bestScore && grid[i] < grid[best])) { bestScore = score; best = i; }
        }
        var pt = fits[best].Predict(teX!);
        bool binary = manifest.Task == TaskKind.Binary;
        double macro = Metrics.MacroF1Present(yTe, pt), all = Metrics.MacroF1All(yTe, pt, k);
        double? f1c1 = binary ? Metrics.F1(yTe, pt, 1) : null;
        // The fit is deterministic (convex, solved to the KKT tolerance): one "seed" (no spread to report), and
        // bagging or voting over a single model is that model.
        var run = new SeedScore { Seed = 0, MacroF1 = macro, MacroF1AllLabels = all, F1Class1 = f1c1 };
        return new SystemResult
        {
            System = system,
            MacroF1 = macro,
            MacroF1Bagged = macro,
            MacroF1Vote = macro,
            MacroF1AllLabels = all,
            F1Class1 = f1c1,
            PerSeed = [run],
            Details = ArtifactJson.ToNode(new BaselineDetails
            {
                C = grid[best], ValMacroF1 = bestScore, Accuracy = Metrics.Accuracy(yTe, pt), Grid = gridPoints,
            }),
        };
    }

    /// <summary>Adds or replaces the system's entry in DIR/results.json (the common schema); returns its path.</summary>
    public static string WriteResults(string outDir, Manifest manifest, SystemResult result)
    {
        var path = Path.Combine(outDir, ExperimentResults.FileName);
        ExperimentResults.Upsert(path, manifest.Path, ExperimentResults.TaskName(manifest.Task), result);
        return path;
    }

    /// <summary>The METHOD §5 vector of every sample (clips concatenated, 16 kHz mono).</summary>
    public static Func<ManifestSample, float[]> MfccFeatures => s => BaselineFeatures.Compute(AudioLoader.LoadSample(s));

    private static float[][] Features(IReadOnlyList<ManifestSample> samples, Func<ManifestSample, float[]> f)
    {
        var x = new float[samples.Count][];
        Threading.For(samples.Count, i => x[i] = f(samples[i]));
        return x;
    }

    /// <summary>Per-dimension z-score with the train rows' mean and population std (a constant dimension → 0).</summary>
    private static void ZScore(float[][] train, float[][][] all)
    {
        int d = train[0].Length;
        for (int c = 0; c < d; c++)
        {
            double mean = train.Average(r => (double)r[c]);
            double sd = Math.Sqrt(train.Average(r => (r[c] - mean) * (r[c] - mean)));
            foreach (var set in all) foreach (var r in set) r[c] = sd > 0 ? (float)((r[c] - mean) / sd) : 0f;
        }
    }

    private static CsrMatrix Join(CsrMatrix? left, float[][] dense)
    {
        var rows = dense.Select(r => r.Select((v, j) => new KeyValuePair<int, double>(j, v))).ToList();
        var m = CsrMatrix.FromRows(dense[0].Length, rows);
        return left == null ? m : left.HStack(m);
    }
}
