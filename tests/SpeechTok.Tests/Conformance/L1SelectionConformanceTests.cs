using System.Security.Cryptography;
using System.Text.Json;
using SpeechTok.Audio;
using SpeechTok.Selection;

namespace SpeechTok.Tests.Conformance;

/// <summary>
/// Checks the selection pipeline against every <c>l1-selection*</c> fixture (sklearn on the real text):
/// vocabulary, idf, scaler, the scaled matrix, and for every C the L1 optimum (objective, KKT, selection).
/// </summary>
[Trait("Category", "Conformance")]
public sealed class L1SelectionConformanceTests
{
    public static TheoryData<string> Folders => FixtureRoot.Data("l1-selection");

    private static JsonElement Load(string path) => JsonDocument.Parse(File.ReadAllText(path)).RootElement;

    private static string DataFile(JsonElement reference, string task)
    {
        var entry = reference.GetProperty("data").GetProperty($"dataset_combined_{task}.csv");
        var path = Path.Combine(FixtureRoot.RepoRoot, "tests", "data", "mmused-fallacy", $"dataset_combined_{task}.csv");
        Assert.Equal(entry.GetProperty("sha256").GetString(), Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path))));
        return path;
    }

    [Theory]
    [MemberData(nameof(Folders))]
    public void TextPipelineAndL1OptimumMatchSklearn(string folder)
    {
        var dir = FixtureRoot.Folder(folder);
        var reference = Load(Path.Combine(dir, "reference.json"));
        foreach (var task in reference.GetProperty("tasks").EnumerateObject())
        {
            var t = task.Value;
            var inter = Load(Path.Combine(dir, $"intermediates_{task.Name}.json"));
            var manifest = Manifest.Load(DataFile(reference, task.Name));
            var train = manifest.Split("train");
            Assert.Equal(t.GetProperty("n_train_split").GetInt32(), train.Count);

            var vectorizer = CountVectorizer.Fit(train.Select(s => s.Text));
            var vocab = inter.GetProperty("vocabulary").EnumerateArray().Select(v => v.GetString()!).ToArray();
            Assert.Equal(t.GetProperty("vocab_size").GetInt32(), vectorizer.Count);
            Assert.Equal(vocab, vectorizer.Vocabulary);

            var counts = vectorizer.Transform(train.Select(s => s.Text).ToList());
            var labels = train.Select(s => s.Label).ToArray();
            int[] Idx(string name) => inter.GetProperty(name).EnumerateArray().Select(v => v.GetInt32()).ToArray();
            var problem = SelectionProblem.Prepare(counts, 0, labels, manifest.NumClasses, Idx("inner_train_idx"), Idx("inner_test_idx"));

            AssertClose(inter.GetProperty("idf"), problem.Tfidf.Idf, 1e-12);
            AssertClose(inter.GetProperty("scaler_var"), problem.Scaler.Variance, 1e-9);
            AssertClose(inter.GetProperty("scaler_scale"), problem.Scaler.Scale, 1e-9);
            var xs = t.GetProperty("X_train_scaled");
            Assert.Equal(xs.GetProperty("nnz").GetInt32(), problem.Train.Nnz);
            double sum = 0, sumSq = 0;
            for (int p = 0; p < problem.Train.Nnz; p++) { sum += problem.Train.Values[p]; sumSq += problem.Train.Values[p] * problem.Train.Values[p]; }
            Assert.Equal(xs.GetProperty("sum").GetDouble(), sum, xs.GetProperty("sum").GetDouble() * 1e-9);
            Assert.Equal(xs.GetProperty("sum_sq").GetDouble(), sumSq, xs.GetProperty("sum_sq").GetDouble() * 1e-9);
            Assert.Equal(t.GetProperty("n_zero_variance_columns").GetInt32(), problem.Scaler.Variance.Count(v => v == 0));

            var runs = t.GetProperty("runs").EnumerateArray().ToList();
            var cs = runs.Select(r => r.GetProperty("C").GetDouble()).ToList();
            var outcomes = TokenSelection.Run(problem, cs);
            for (int i = 0; i < runs.Count; i++)
            {
                var o = outcomes[i];
                var optimum = runs[i].GetProperty("optimum");
                double optObj = optimum.GetProperty("solver_info").GetProperty("objective_C_form").GetDouble();
                double sagaObj = runs[i].GetProperty("saga_reference").GetProperty("objective").GetProperty("objective_C_form").GetDouble();
                var label = $"{task.Name} C={cs[i]}";
                Assert.True(o.Fit.Converged, $"{label}: KKT {o.Fit.Kkt}");
                Assert.True(o.Fit.Objective <= optObj * (1 + 1e-6), $"{label}: objective {o.Fit.Objective} vs optimum {optObj}");
                Assert.True(o.Fit.Objective <= sagaObj, $"{label}: objective {o.Fit.Objective} vs saga {sagaObj}");
                var ours = o.SelectedColumns.Select(j => vocab[j]).ToHashSet();
                var theirs = optimum.GetProperty("selected_feature_names").EnumerateArray().Select(v => v.GetString()!).ToHashSet();
                double jaccard = (double)ours.Intersect(theirs).Count() / ours.Union(theirs).Count();
                Assert.True(jaccard >= 0.98, $"{label}: Jaccard {jaccard} ({ours.Count} vs {theirs.Count})");
            }
        }
    }

    /// <summary>`baseline bow` (CountVectorizer + L2 LR, C on val) within 0.02 of sklearn's test score, or better.</summary>
    [Theory]
    [MemberData(nameof(Folders))]
    public void BowBaselineMatchesSklearn(string folder)
    {
        var dir = FixtureRoot.Folder(folder);
        var reference = Load(Path.Combine(dir, "reference.json"));
        var bow = Load(Path.Combine(dir, "bow_baselines.json")).GetProperty("results");
        foreach (var task in bow.EnumerateObject())
        {
            var manifest = Manifest.Load(DataFile(reference, task.Name));
            var grid = task.Value.GetProperty("grid").EnumerateArray().Select(g => g.GetProperty("C").GetDouble()).ToArray();
            var ours = Baselines.Run("bow", manifest, grid);
            var test = task.Value.GetProperty("best").GetProperty("test");
            // The reference metric: macro-F1 over the labels present in test (multiclass), F1 of class 1 (binary).
            var (key, theirs) = manifest.Task == TaskKind.Binary
                ? ("f1_class_1", test.GetProperty("f1_class1").GetDouble())
                : ("macro_f1", test.GetProperty("macro_f1_labels_present_in_true").GetDouble());
            double value = ours[key]!.GetValue<double>();
            Assert.True(value >= theirs - 0.02, $"{task.Name}: {key} {value} vs sklearn {theirs}");
        }
    }

    private static void AssertClose(JsonElement expected, double[] actual, double relTol)
    {
        var e = expected.EnumerateArray().Select(v => v.GetDouble()).ToArray();
        Assert.Equal(e.Length, actual.Length);
        for (int j = 0; j < e.Length; j++)
            Assert.True(Math.Abs(e[j] - actual[j]) <= relTol * Math.Max(1e-300, Math.Abs(e[j])), $"[{j}] expected {e[j]:R}, got {actual[j]:R}");
    }
}
