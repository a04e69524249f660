using SpeechTok.Tensors;
using SpeechTok.Training;

namespace SpeechTok.Tests.Training;

/// <summary>Seeds trained at once (<c>--seed-workers</c>); alone, since it sets and logs <c>Threading.Threads</c>.</summary>
[Collection(ThreadsCollection.Name)]
public sealed class SeedWorkersTests
{
    [Fact]
    public void Seeds_trained_at_once_give_the_files_of_one_at_a_time()
    {
        // Fresh audio rows per seed (--no-pretrain) check that each seed keeps its own appended rows on the shared backbone.
        using var d = new ToyData();
        string model = d.Model();
        FinetuneSpec Spec(string o, int workers) => new()
        {
            Manifest = d.Parsed(), Codes = d.Codes, Selection = d.Selection, Model = model, Out = Path.Combine(d.Dir, o),
            Options = TrainingTests.Small(7, 8, 9) with { Epochs = 2, SeedWorkers = workers },
        };
        int saved = Threading.Threads;
        try
        {
            Threading.Threads = 2;
            var lines = new List<string>();
            FinetuneRun.Run(Spec("apart", 1));
            FinetuneRun.Run(Spec("together", 3), s => { lock (lines) lines.Add(s); });
            Assert.Contains("fine-tuning 3 seeds, 3 at a time on 2 threads", lines);
        }
        finally { Threading.Threads = saved; }
        foreach (int seed in new[] { 7, 8, 9 })
            foreach (var f in new[] { "predictions-test.json", "predictions-val.json", "curves.json", Peft.WeightsFile, FinetuneRun.RowsFile })
                Assert.Equal(File.ReadAllBytes(Path.Combine(FinetuneRun.SeedDir(Path.Combine(d.Dir, "apart"), seed), f)),
                    File.ReadAllBytes(Path.Combine(FinetuneRun.SeedDir(Path.Combine(d.Dir, "together"), seed), f)));
        Assert.NotEqual(File.ReadAllBytes(Path.Combine(FinetuneRun.SeedDir(Path.Combine(d.Dir, "apart"), 7), FinetuneRun.RowsFile)),
            File.ReadAllBytes(Path.Combine(FinetuneRun.SeedDir(Path.Combine(d.Dir, "apart"), 8), FinetuneRun.RowsFile)));
        Assert.Contains("must be ≥ 0", Assert.Throws<SpeechTokException>(() => FinetuneRun.Run(Spec("bad", -1))).Message);
    }
}
