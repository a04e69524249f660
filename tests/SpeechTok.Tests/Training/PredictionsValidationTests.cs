using System.Text.Json.Nodes;
using SpeechTok.Evaluation;
using SpeechTok.Tests.Audio;
using SpeechTok.Training;

namespace SpeechTok.Tests.Training;

/// <summary>
/// <c>evaluate</c> crashed on an edited seed-S/predictions-SPLIT.json (a multi-label label of -1: ArgumentOutOfRange, exit
/// 134; a single-label sample without a label: IndexOutOfRange), named no file for a label or a row out of range, scored
/// probabilities of -3 or 1.7, and bagged seeds whose labels differed against the first seed's.
/// </summary>
public sealed class PredictionsValidationTests : IDisposable
{
    private readonly string _run = Tool.TempDir("predictions-validation");

    public void Dispose() => Directory.Delete(_run, true);

    private string Predictions(int seed) => Path.Combine(FinetuneRun.SeedDir(_run, seed), PredictionsFile.FileName("test"));

    /// <summary>A finished run of two seeds with 3 test samples and valid predictions of <paramref name="k"/> classes.</summary>
    private void WriteRun(string task, int k, int[][] labels)
    {
        new RunFile
        {
            System = "text-only", Manifest = Path.Combine(_run, "m.csv"), Task = task, NumLabels = k, Model = "unused", TextOnly = true,
            Serialization = "textonly", MaxLength = 8, Hyperparameters = new FinetuneHyperparameters { Seeds = [1, 2] },
        }.Save(Path.Combine(_run, RunFile.FileName));
        foreach (int seed in new[] { 1, 2 })
        {
            Directory.CreateDirectory(FinetuneRun.SeedDir(_run, seed));
            var probs = labels.Select(_ => Enumerable.Repeat(1f / k, k).ToArray()).ToArray();
            PredictionsFile.From(new EncodedSet("test", ["a", "b", "c"], [[1], [1], [1]], labels, new bool[3]), probs).Save(Predictions(seed));
            new SeedDone(seed).Save(Path.Combine(FinetuneRun.SeedDir(_run, seed), SeedDone.FileName));
        }
    }

    /// <summary>Sets <paramref name="field"/>[<paramref name="i"/>] of seed <paramref name="seed"/>'s file, as a user's edit would.</summary>
    private void Edit(int seed, string field, int i, string json)
    {
        var doc = JsonNode.Parse(File.ReadAllText(Predictions(seed)))!.AsObject();
        doc[field]![i] = JsonNode.Parse(json);
        File.WriteAllText(Predictions(seed), doc.ToJsonString());
    }

    private string Refusal() => Assert.Throws<SpeechTokException>(() => RunEvaluation.Evaluate(_run, "test")).Message;

    [Fact]
    public void Multi_label_labels_out_of_range_or_repeated_are_refused_naming_the_file_and_sample()
    {
        WriteRun("multilabel", 6, [[0, 2], [], [5]]);
        RunEvaluation.Evaluate(_run, "test"); // the valid run scores
        Edit(1, "labels", 2, "[-1]");
        string runJson = Path.Combine(_run, RunFile.FileName);
        Assert.Equal($"{Predictions(1)}: labels[2] (sample 'c'): label -1 is outside 0..5 ({runJson} num_labels 6)", Refusal());
        var (code, stdout, err) = CliRunner.Run("evaluate", "--run", _run);
        Assert.Equal((2, ""), (code, stdout));
        Assert.Equal($"error: {Predictions(1)}: labels[2] (sample 'c'): label -1 is outside 0..5 ({runJson} num_labels 6)", err.Trim());
        Edit(1, "labels", 2, "[5, 5]");
        Assert.Equal($"{Predictions(1)}: labels[2] (sample 'c'): label 5 appears twice", Refusal());
    }

    [Fact]
    public void Single_label_samples_need_one_label_in_range()
    {
        WriteRun("multiclass", 4, [[0], [3], [1]]);
        Edit(2, "labels", 0, "[]");
        Assert.Equal($"{Predictions(2)}: labels[0] (sample 'a') holds 0 labels; a multiclass run's samples have exactly one", Refusal());
        Edit(2, "labels", 0, "[0, 1]");
        Assert.Contains("holds 2 labels", Refusal());
        Edit(2, "labels", 0, "null");
        Assert.Equal($"{Predictions(2)}: labels[0] is null, expected a list", Refusal());
        Edit(2, "labels", 0, "[7]");
        Assert.Equal($"{Predictions(2)}: labels[0] (sample 'a'): label 7 is outside 0..3 ({Path.Combine(_run, RunFile.FileName)} num_labels 4)", Refusal());
    }

    [Fact]
    public void Probability_rows_need_num_labels_entries_in_0_to_1()
    {
        WriteRun("multiclass", 4, [[0], [3], [1]]);
        Edit(1, "probabilities", 1, "[0.5, 0.5]");
        Assert.Equal($"{Predictions(1)}: probabilities[1] (sample 'b') has 2 entries, but {Path.Combine(_run, RunFile.FileName)} num_labels is 4", Refusal());
        Edit(1, "probabilities", 1, "[-3.0, 1, 1, 2]");
        Assert.Equal($"{Predictions(1)}: probabilities[1][0] (sample 'b') is -3, expected a probability in [0, 1]", Refusal());
        Edit(1, "probabilities", 1, "[0, 1.7, 0, 0]");
        Assert.Equal($"{Predictions(1)}: probabilities[1][1] (sample 'b') is 1.7, expected a probability in [0, 1]", Refusal());
        // Float rounding of a softmax is no damage.
        Edit(1, "probabilities", 1, "[-1e-7, 1.0000001, 0, 0]");
        RunEvaluation.Evaluate(_run, "test");
    }

    [Fact]
    public void Seeds_whose_labels_differ_are_refused_naming_both_files()
    {
        WriteRun("binary", 2, [[0], [1], [1]]);
        Edit(2, "labels", 1, "[0]");
        Assert.Equal($"{Predictions(2)}: labels[1] (sample 'b') is [0], but [1] in {Predictions(1)}; the seeds of a run predict the same labelled samples", Refusal());
    }

    /// <summary>The metrics themselves refuse what would have thrown out of them, for callers that pass values from elsewhere.</summary>
    [Fact]
    public void Metrics_refuse_bad_labels_with_a_SpeechTokException()
    {
        Assert.Equal("sample 0 has 0 labels; a single-label task takes exactly one",
            Assert.Throws<SpeechTokException>(() => ClassificationMetrics.Compute(TaskKind.Multiclass, 3, [[]], [[1f, 0f, 0f]])).Message);
        Assert.Equal("sample 1: label -1 is outside 0..2",
            Assert.Throws<SpeechTokException>(() => ClassificationMetrics.Compute(TaskKind.Multilabel, 3, [[0], [-1]], [[1f, 0f, 0f], [0f, 0f, 0f]])).Message);
    }
}
