using System.Collections.Concurrent;
using SpeechTok.Tensors.IO;
using SpeechTok.Training;

namespace SpeechTok.Tests.Training;

/// <summary>In-epoch progress of finetune and pretrain (<see cref="TrainingProgress"/>) and its throttled lines (<see cref="ProgressPrinter"/>).</summary>
public sealed class ProgressTests
{
    [Fact]
    public void A_line_names_the_seed_and_epoch_and_durations_stay_short()
    {
        Assert.Equal("seed 42 epoch 3/25 step 40/61: loss 0.6931, lr 0.00095, grad norm 0.812, 12,345 tokens/s, ETA 2m10s",
            ProgressPrinter.Line(new TrainingProgress(42, 3, 25, 40, 61, 0.693147, 9.5e-4, 0.8123, 12345.4, TimeSpan.FromSeconds(130.2))));
        Assert.Equal("epoch 1/5 step 2/4: loss 3.0000, lr 0.003, grad norm 1.000, 80 tokens/s, ETA 42s", // pre-training: no seed
            ProgressPrinter.Line(new TrainingProgress(null, 1, 5, 2, 4, 3, 3e-3, 1, 80, TimeSpan.FromSeconds(42))));
        Assert.Equal("step 4/4: loss 5.1000, lr 1e-05, grad norm 0.500, 7 tokens/s, ETA 0s", // lm train: steps only
            ProgressPrinter.Line(new TrainingProgress(null, 0, 0, 4, 4, 5.1, 1e-5, 0.5, 7, TimeSpan.Zero)));
        Assert.Equal("1m00s", ProgressPrinter.Duration(TimeSpan.FromSeconds(59.6)));
        Assert.Equal("3h05m", ProgressPrinter.Duration(TimeSpan.FromMinutes(185)));
        Assert.Equal("27h04m", ProgressPrinter.Duration(TimeSpan.FromHours(27) + TimeSpan.FromMinutes(4)));
    }

    [Fact]
    public void Lines_wait_for_the_interval_and_close_the_epochs_that_printed_and_the_run()
    {
        var now = TimeSpan.FromSeconds(100);
        var lines = new List<string>();
        var printer = new ProgressPrinter(lines.Add, TimeSpan.FromSeconds(10), () => now);
        // Two seeds at once, 2 epochs of 3 steps each.
        void At(double seconds, int seed, int epoch, int step)
        {
            now = TimeSpan.FromSeconds(100 + seconds);
            printer.Report(new TrainingProgress(seed, epoch, 2, step, 3, 0.5, 1e-3, 1, 100, TimeSpan.FromSeconds(30)));
        }
        At(0, 7, 1, 1); // the printer was made at 100 s: not yet
        At(9, 8, 1, 1);
        At(10, 7, 1, 2); // printed
        At(11, 8, 1, 2);
        At(12, 8, 1, 3); // seed 8 printed nothing in epoch 1: its end is not printed
        At(13, 7, 1, 3); // seed 7 did: printed
        At(14, 7, 2, 1);
        At(23, 8, 2, 1); // 10 s after seed 7's last line: printed
        At(24, 8, 2, 2);
        At(25, 7, 2, 2);
        At(26, 7, 2, 3); // the run's last step: printed
        At(27, 8, 2, 3); // and seed 8's
        Assert.Equal(["seed 7 epoch 1/2 step 2/3", "seed 7 epoch 1/2 step 3/3", "seed 8 epoch 2/2 step 1/3", "seed 7 epoch 2/2 step 3/3", "seed 8 epoch 2/2 step 3/3"],
            lines.Select(l => l[..l.IndexOf(':')]));
    }

    [Fact]
    public void Finetune_reports_every_step_of_each_seed_and_a_resumed_seed_continues_its_count_to_the_same_numbers()
    {
        using var d = new ToyData();
        string model = d.Model();
        FinetuneSpec Spec(string o, int workers) => new()
        {
            Manifest = d.Parsed(), Model = model, Out = Path.Combine(d.Dir, o), TextOnly = true, Options = TrainingTests.Small(7, 8) with { Epochs = 2, SeedWorkers = workers },
        };
        FinetuneRun.Run(Spec("plain", 1));
        // Two seeds at once: each reports its own 2 epochs of 3 steps (24 train samples, batch 8), in order.
        var together = new ConcurrentQueue<TrainingProgress>();
        FinetuneRun.Run(Spec("together", 2), progress: together.Enqueue);
        foreach (int seed in new[] { 7, 8 })
        {
            var mine = together.Where(p => p.Seed == seed).ToList();
            Assert.Equal(Counts((1, 1), 6), mine.Select(p => (p.Epoch, p.Step)));
            Assert.All(mine, p => Assert.Equal((2, 3L), (p.Epochs, p.Steps)));
            AssertMatchesCurve(mine, SeedCurves.Load(Path.Combine(FinetuneRun.SeedDir(Path.Combine(d.Dir, "together"), seed), SeedCurves.FileName)).TrainLoss);
        }

        // One at a time, seed 7 killed at step 5 (epoch 2, step 2): the rerun redoes epoch 2 from its checkpoint, then seed 8.
        var killed = new List<TrainingProgress>();
        Assert.Throws<KilledException>(() => FinetuneRun.Run(Spec("killed", 1), afterStep: s => { if (s == 5) throw new KilledException(); }, progress: killed.Add));
        Assert.Equal(Counts((1, 1), 5), killed.Select(p => (p.Epoch, p.Step)));
        var resumed = new List<TrainingProgress>();
        FinetuneRun.Run(Spec("killed", 1), progress: resumed.Add);
        Assert.Equal([.. Counts((2, 1), 3).Select(c => (7, c)), .. Counts((1, 1), 6).Select(c => (8, c))], resumed.Select(p => (p.Seed!.Value, (p.Epoch, p.Step))));
        AssertMatchesCurve(resumed.Where(p => p.Seed == 7).ToList(),
            SeedCurves.Load(Path.Combine(FinetuneRun.SeedDir(Path.Combine(d.Dir, "killed"), 7), SeedCurves.FileName)).TrainLoss);

        foreach (string run in new[] { "together", "killed" })
            foreach (int seed in new[] { 7, 8 })
                foreach (var f in new[] { "predictions-test.json", "predictions-val.json", SeedCurves.FileName, Peft.WeightsFile })
                    Assert.Equal(File.ReadAllBytes(Path.Combine(FinetuneRun.SeedDir(Path.Combine(d.Dir, "plain"), seed), f)),
                        File.ReadAllBytes(Path.Combine(FinetuneRun.SeedDir(Path.Combine(d.Dir, run), seed), f)));
    }

    [Fact]
    public void Pretrain_reports_every_step_and_a_resumed_run_continues_its_count_to_the_same_rows()
    {
        using var d = new ToyData();
        string model = d.Model();
        PretrainSpec Spec(string o) => new()
        {
            Manifest = d.Parsed(), Codes = d.Codes, Selection = d.Selection, Model = model, Out = Path.Combine(d.Dir, o),
            Options = new PretrainOptions { Lr = 1e-2, Epochs = 2, BatchSize = 8, Accumulation = 2, Patience = 10 },
        };
        Spec("plain").Run();
        // 64 train samples → 8 micro-batches → 4 updates per epoch: killed at step 6, resumed from the checkpoint of epoch 1.
        var killed = new List<TrainingProgress>();
        Assert.Throws<KilledException>(() => Spec("killed").Run(afterStep: s => { if (s == 6) throw new KilledException(); }, progress: killed.Add));
        Assert.Equal(Counts((1, 1), 6, perEpoch: 4), killed.Select(p => (p.Epoch, p.Step)));
        var resumed = new List<TrainingProgress>();
        var r = Spec("killed").Run(progress: resumed.Add);
        Assert.Equal(Counts((2, 1), 4, perEpoch: 4), resumed.Select(p => (p.Epoch, p.Step)));
        Assert.All(killed.Concat(resumed), p => Assert.Equal((null, 2, 4L), (p.Seed, p.Epochs, p.Steps)));
        AssertMatchesCurve(resumed, r.Curves.TrainLoss);
        Assert.Equal(File.ReadAllBytes(Path.Combine(d.Dir, "plain", Pretrainer.RowsFile)), File.ReadAllBytes(Path.Combine(d.Dir, "killed", Pretrainer.RowsFile)));
    }

    /// <summary>(epoch, step) of <paramref name="count"/> steps from <paramref name="first"/>, epochs of <paramref name="perEpoch"/> steps.</summary>
    private static List<(int, long)> Counts((int Epoch, long Step) first, int count, int perEpoch = 3) =>
        Enumerable.Range(0, count).Select(i => (first.Epoch - 1) * perEpoch + first.Step - 1 + i).Select(g => ((int)(g / perEpoch) + 1, g % perEpoch + 1)).ToList();

    /// <summary>Each report shows its step's learning rate and the mean loss of its epoch's steps so far, as the curve has them; speed and ETA are sane.</summary>
    private static void AssertMatchesCurve(List<TrainingProgress> reports, IReadOnlyList<TrainLossPoint> curve)
    {
        foreach (var p in reports)
        {
            long step = (p.Epoch - 1) * p.Steps + p.Step;
            Assert.Equal(curve[(int)step - 1].Lr, p.Lr);
            double sum = 0;
            for (long s = step - p.Step + 1; s <= step; s++) sum += curve[(int)s - 1].Loss;
            Assert.Equal(sum / p.Step, p.Loss);
            Assert.True(p.TokensPerSecond > 0 && double.IsFinite(p.TokensPerSecond), $"{p.TokensPerSecond} tokens/s");
            Assert.True(p.GradNorm > 0 && p.Eta >= TimeSpan.Zero);
        }
        Assert.Equal(TimeSpan.Zero, reports[^1].Eta); // the run's last step
    }

    private sealed class KilledException : Exception;
}
