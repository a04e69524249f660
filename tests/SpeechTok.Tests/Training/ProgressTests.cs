using SpeechTok.Training;

namespace SpeechTok.Tests.Training;

/// <summary>Training progress (<see cref="TrainingProgress"/>) and its throttled lines (<see cref="ProgressPrinter"/>).</summary>
public sealed class ProgressTests
{
    [Fact]
    public void A_line_names_the_seed_and_epoch_and_durations_stay_short()
    {
        Assert.Equal("seed 42 epoch 3/25 step 40/61: loss 0.6931, lr 0.00095, grad norm 0.812, 12,345 tokens/s, ETA 2m10s",
            ProgressPrinter.Line(new TrainingProgress(42, 3, 25, 40, 61, 0.693147, 9.5e-4, 0.8123, 12345.4, TimeSpan.FromSeconds(130.2))));
        Assert.Equal("epoch 1/5 step 2/4: loss 3.0000, lr 0.003, grad norm 1.000, 80 tokens/s, ETA 42s", // pre-training: no seed
            ProgressPrinter.Line(new TrainingProgress(null, 1, 5, 2, 4, 3, 3e-3, 1, 80, TimeSpan.FromSeconds(42))));
        Assert.Equal("step 4/4: loss 5.1000, lr 1E-05, grad norm 0.500, 7 tokens/s, ETA 0s", // lm train: steps only
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
}
