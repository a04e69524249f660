using SpeechTok.Audio;
using SpeechTok.Selection;
using SpeechTok.Evaluation;

namespace SpeechTok.Tests.Selection;

/// <summary>Multi-label metrics by hand, the per-label vote, and the one-vs-rest bag-of-words baseline.</summary>
public sealed class MultiLabelTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("multilabel-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Metrics_match_hand_computed_values()
    {
        int[][] yTrue = [[0], [0, 1], [], [2]];
        int[][] yPred = [[0], [1], [1], []];
        var m = MultiLabelMetrics.Compute(yTrue, yPred, 3);
        // label 0: tp 1, fn 1 → 2/3; label 1: tp 1, fp 1 → 2/3; label 2: fn 1 → 0.
        Assert.Equal([2 / 3.0, 2 / 3.0, 0], m.PerLabelF1);
        Assert.Equal(4 / 9.0, m.MacroF1, 12);
        Assert.Equal(4 / 7.0, m.MicroF1, 12); // tp 2, fp 1, fn 2
        Assert.Equal(0.25, m.SubsetAccuracy);
        // A 4th label that never occurs counts in the all-labels average only.
        var m4 = MultiLabelMetrics.Compute(yTrue, yPred, 4);
        Assert.Equal(4 / 9.0, m4.MacroF1, 12);
        Assert.Equal(1 / 3.0, m4.MacroF1AllLabels, 12);
        // Through probabilities: p ≥ 0.5 decides.
        var viaProbs = ClassificationMetrics.Compute(TaskKind.Multilabel, 3, yTrue, [[0.9f, 0.1f, 0.2f], [0.2f, 0.5f, 0f], [0.4f, 0.7f, 0.3f], [0.1f, 0.2f, 0.49f]]);
        Assert.Equal(4 / 9.0, viaProbs.MacroF1, 12);
        Assert.Equal(4 / 7.0, viaProbs.MicroF1!.Value, 12);
    }

    [Fact]
    public void Vote_is_per_label_majority_with_even_splits_to_the_mean_probability()
    {
        float[][] s1 = [[0.6f, 0.4f, 0.9f]], s2 = [[0.3f, 0.45f, 0.8f]], s3 = [[0.7f, 0.2f, 0.1f]];
        Assert.Equal([0f, 0f, 1f], ClassificationMetrics.MajorityVoteMultiLabel([s1, s2])[0]); // label 0: 1 of 2, mean 0.45
        Assert.Equal([1f, 0f, 1f], ClassificationMetrics.MajorityVoteMultiLabel([s1, s2, s3])[0]);
        float[][] s4 = [[0.5f, 0.1f, 0.1f]], s5 = [[0.45f, 0.1f, 0.1f]];
        Assert.Equal([0f, 0f, 0f], ClassificationMetrics.MajorityVoteMultiLabel([s4, s5])[0]); // 1 of 2 on, mean 0.475 < 0.5
    }

    [Fact]
    public void Bow_baseline_is_one_vs_rest_on_a_labels_manifest()
    {
        // Label c is on when the word "cue{c}" is said; some samples have no label.
        var rng = new Random(9);
        var lines = new List<string> { "split,text,audio_path_list,labels" };
        foreach (var (split, n) in new[] { ("train", 80), ("val", 30), ("test", 30) })
            for (int i = 0; i < n; i++)
            {
                var set = Enumerable.Range(0, 4).Where(_ => rng.NextDouble() < 0.3).ToArray();
                lines.Add($"{split},filler{rng.Next(5)} {string.Join(" ", set.Select(c => $"cue{c}"))} more{rng.Next(3)},x.wav,{string.Join(";", set)}");
            }
        var path = Path.Combine(_dir, "m.csv");
        File.WriteAllLines(path, lines);
        var r = Baselines.Run("bow", Manifest.Load(path), Baselines.DefaultGrid);
        Assert.Equal(4, r.PerLabelF1!.Length);
        Assert.All(r.PerLabelF1, f => Assert.Equal(1.0, f));
        Assert.Equal(1.0, r.MacroF1);
        Assert.Equal(1.0, r.MicroF1);
        Assert.True(BaselineDetails.Of(r).OneVsRest);
    }
}
