using SpeechTok.Tests.Conformance;

namespace SpeechTok.Tests.Reliability;

/// <summary>Ctrl+C: the process ends with one line saying what is kept (it used to die in silence).</summary>
[Trait("Category", "Kill")]
public sealed class InterruptTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("speechtok-interrupt-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void Ctrl_c_during_lm_train_says_the_checkpoint_is_kept()
    {
        string o = Path.Combine(_dir, "lm");
        string[] args = ["lm", "train", "--train", Path.Combine(FixtureRoot.RepoRoot, "tests", "data", "sotu-sample"), "--valid-from-year", "1900", "--out", o,
            "--vocab-size", "300", "--hidden", "32", "--layers", "1", "--heads", "2", "--kv-heads", "1", "--intermediate", "64", "--seq-len", "32",
            "--batch-size", "4", "--max-steps", "100000", "--warmup-steps", "2", "--eval-every", "1000", "--checkpoint-every", "5", "--threads", "1"];
        var (code, _, err, interrupted) = CliRunner.Run(() => Directory.Exists(Path.Combine(o, "checkpoint")), interrupt: true, args);
        Assert.True(interrupted);
        Assert.Equal(130, code); // 128 + SIGINT, as a shell reports it
        Assert.EndsWith("interrupted: finished work and the last checkpoint are kept; rerun the same command to resume", err.TrimEnd());
        Assert.False(File.Exists(Path.Combine(o, "model.safetensors")));
    }
}
