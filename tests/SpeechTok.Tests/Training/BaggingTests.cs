using SpeechTok.Evaluation;
using SpeechTok.Training;

namespace SpeechTok.Tests.Training;

public sealed class BaggingTests
{
    [Fact]
    public void Probability_average_and_vote_with_probability_tie_break()
    {
        float[][] s1 = [[0.6f, 0.3f, 0.1f], [0.1f, 0.2f, 0.7f]];
        float[][] s2 = [[0.1f, 0.5f, 0.4f], [0.4f, 0.5f, 0.1f]];
        float[][] s3 = [[0.2f, 0.2f, 0.6f], [0.3f, 0.3f, 0.4f]];
        float[][] s4 = [[0.45f, 0.1f, 0.45f], [0.2f, 0.7f, 0.1f]];
        var avg = ClassificationMetrics.AverageProbabilities([s1, s2, s3, s4]);
        Assert.Equal(0.3375, avg[0][0], 6);
        Assert.Equal(0.25, avg[1][0], 6);
        // sample 0: votes 0 (s1, s4 argmax tie → lowest index 0), 1, 2 → class 0 has 2 votes: wins outright.
        // sample 1: votes 2, 1, 2, 1 → tie between 1 (mass 1.7) and 2 (mass 1.3) → 1.
        Assert.Equal(new[] { 0, 1 }, ClassificationMetrics.MajorityVote([s1, s2, s3, s4]));
        // a three-way tie goes to the largest summed probability
        Assert.Equal(new[] { 2 }, ClassificationMetrics.MajorityVote([[[0.5f, 0.2f, 0.3f]], [[0.1f, 0.5f, 0.4f]], [[0.2f, 0.2f, 0.6f]]]));
    }

    [Fact]
    public void Evaluate_reads_seed_predictions_and_merges_results()
    {
        string run = Path.Combine(Path.GetTempPath(), "speechtok-eval-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            new RunFile
            {
                System = "audio-lasso", Manifest = Path.Combine(run, "m.csv"), Task = "multiclass", NumLabels = 3, Model = "unused", TextOnly = true,
                Serialization = "textonly", MaxLength = 8, Hyperparameters = new FinetuneHyperparameters { Seeds = [1, 2, 3] },
            }.Save(Path.Combine(run, RunFile.FileName));
            // true labels 0, 1, 2, 0; class 2 never predicted by seed 1.
            var labels = new[] { 0, 1, 2, 0 };
            float[][][] probs =
            [
                [[0.9f, 0.05f, 0.05f], [0.2f, 0.7f, 0.1f], [0.1f, 0.6f, 0.3f], [0.6f, 0.3f, 0.1f]],
                [[0.8f, 0.1f, 0.1f], [0.1f, 0.8f, 0.1f], [0.1f, 0.1f, 0.8f], [0.2f, 0.7f, 0.1f]],
                [[0.7f, 0.2f, 0.1f], [0.3f, 0.3f, 0.4f], [0.2f, 0.2f, 0.6f], [0.5f, 0.4f, 0.1f]],
            ];
            int[] seeds = [1, 2, 3];
            for (int s = 0; s < 3; s++)
            {
                var set = new EncodedSet("test", ["a", "b", "c", "d"], [[1], [1], [1], [1]], labels.Select(l => new[] { l }).ToArray(), new bool[4]);
                Directory.CreateDirectory(FinetuneRun.SeedDir(run, seeds[s]));
                PredictionsFile.From(set, probs[s]).Save(Path.Combine(FinetuneRun.SeedDir(run, seeds[s]), PredictionsFile.FileName("test")));
                new SeedDone(seeds[s]).Save(Path.Combine(FinetuneRun.SeedDir(run, seeds[s]), SeedDone.FileName)); // a finished seed, as fine-tuning leaves it
            }
            var e = RunEvaluation.Evaluate(run, "test");
            // seed 1 predicts 0,1,1,0: F1 = [1, 2/3, 0] → 5/9; seed 2: 0,1,2,1 → [2/3, 2/3, 1] → 7/9; seed 3: 0,2,2,0 → [1, 0, 2/3] → 5/9
            double[] f = [5.0 / 9, 7.0 / 9, 5.0 / 9];
            Assert.Equal(f.Average(), e.MacroF1, 9);
            Assert.Equal(Math.Sqrt(f.Sum(x => (x - f.Average()) * (x - f.Average())) / 2), e.MacroF1Std!.Value, 9); // ddof 1
            // averaged: [0.8,.117,.083] [0.2,.6,.2] [0.133,.3,.567] [0.433,.467,.1] → 0,1,2,1 → 7/9
            Assert.Equal(7.0 / 9, e.MacroF1Bagged!.Value, 9);
            // votes: 0 | 1,1,2 → 1 | 1,2,2 → 2 | 0,1,0 → 0 → perfect
            Assert.Equal(1.0, e.MacroF1Vote!.Value, 9);
            RunEvaluation.Evaluate(run, "test");
            var results = ExperimentResults.Load(Path.Combine(run, ExperimentResults.FileName));
            Assert.Single(results.Systems);
            Assert.Equal(3, results.Systems[0].PerSeed.Count);

            // The manifest's class names go into results.json, as baseline and experiment write them (evaluate left them out);
            // the manifest itself need not be there any more.
            Assert.Null(results.ClassNames);
            string sidecar = Path.Combine(run, "m.label_names.txt");
            File.WriteAllText(sidecar, "calm\nangry\nsad\n");
            RunEvaluation.Evaluate(run, "test");
            Assert.Equal(["calm", "angry", "sad"], ExperimentResults.Load(Path.Combine(run, ExperimentResults.FileName)).ClassNames);
            File.WriteAllText(sidecar, "calm\nangry\n");
            Assert.Equal($"{sidecar}: 2 class names, but {Path.Combine(run, RunFile.FileName)} num_labels is 3", Assert.Throws<SpeechTokException>(() => RunEvaluation.Evaluate(run, "test")).Message);
        }
        finally { Directory.Delete(run, true); }
    }

    /// <summary>
    /// results.json had no accuracy, which MOSEI SENT is usually reported with (Acc-2), though the metrics computed it:
    /// each seed's, their mean and the bagged predictions' are kept (subset accuracy for multi-label, as sklearn's
    /// accuracy_score on indicator matrices), and files without them still load.
    /// </summary>
    [Fact]
    public void Results_carry_accuracy_per_seed_mean_and_bagged()
    {
        string run = Path.Combine(Path.GetTempPath(), "speechtok-accuracy-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            new RunFile
            {
                System = "text-only", Manifest = Path.Combine(run, "m.csv"), Task = "multilabel", NumLabels = 3, Model = "unused", TextOnly = true,
                Serialization = "textonly", MaxLength = 8, Hyperparameters = new FinetuneHyperparameters { Seeds = [1, 2] },
            }.Save(Path.Combine(run, RunFile.FileName));
            int[][] labels = [[0, 2], [], [1]];
            // seed 1 decides {0,2} {} {0}: 2 of 3 sets right; seed 2 {0} {1} {1}: 1 of 3; their mean {0} {} {1}: 2 of 3.
            float[][][] probs =
            [
                [[0.9f, 0.1f, 0.8f], [0.1f, 0.1f, 0.1f], [0.6f, 0.2f, 0.1f]],
                [[0.9f, 0.1f, 0.1f], [0.1f, 0.7f, 0.1f], [0.2f, 0.9f, 0.1f]],
            ];
            for (int s = 0; s < 2; s++)
            {
                string dir = FinetuneRun.SeedDir(run, s + 1);
                Directory.CreateDirectory(dir);
                PredictionsFile.From(new EncodedSet("test", ["a", "b", "c"], [[1], [1], [1]], labels, new bool[3]), probs[s]).Save(Path.Combine(dir, PredictionsFile.FileName("test")));
                new SeedDone(s + 1).Save(Path.Combine(dir, SeedDone.FileName));
            }
            RunEvaluation.Evaluate(run, "test");
            string path = Path.Combine(run, ExperimentResults.FileName);
            var e = ExperimentResults.Load(path).Systems[0];
            Assert.Equal([2.0 / 3, 1.0 / 3], e.PerSeed.Select(p => p.Accuracy!.Value));
            Assert.Equal(0.5, e.Accuracy!.Value, 12);
            Assert.Equal(2.0 / 3, e.AccuracyBagged!.Value, 12);
            Assert.Contains("\"accuracy_bagged\": 0.6666", File.ReadAllText(path));

            // A results.json written before accuracy was recorded.
            File.WriteAllText(path, """{"format_version": 1, "manifest": "/m.csv", "task": "binary", "systems": [{"system": "x", "macro_f1": 0.5, "per_seed": [{"seed": 1, "macro_f1": 0.5}]}]}""");
            var old = ExperimentResults.Load(path).Systems[0];
            Assert.Null(old.Accuracy);
            Assert.Null(old.AccuracyBagged);
            Assert.Null(old.PerSeed[0].Accuracy);
        }
        finally { Directory.Delete(run, true); }
    }
}
