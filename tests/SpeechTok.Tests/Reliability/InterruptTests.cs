using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using SpeechTok.Codec.Builtin;
using SpeechTok.Codec.Store;
using SpeechTok.Tests.Audio;
using SpeechTok.Tests.Conformance;

namespace SpeechTok.Tests.Reliability;

/// <summary>
/// Ctrl+C and SIGTERM (<c>timeout</c>, <c>docker stop</c>): the process ends with one line saying what is kept (it used to
/// die in silence; SIGTERM still did, exit 143), and the same command resumes.
/// </summary>
[Trait("Category", "Kill")]
public sealed class InterruptTests : IDisposable
{
    private const string Kept = "finished work and the last checkpoint are kept; rerun the same command to resume";

    private readonly string _dir = Directory.CreateTempSubdirectory("speechtok-interrupt-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string[] LmTrain(string o, int maxSteps) =>
        ["lm", "train", "--train", Path.Combine(FixtureRoot.RepoRoot, "tests", "data", "sotu-sample"), "--valid-from-year", "1900", "--out", o,
         "--vocab-size", "300", "--hidden", "32", "--layers", "1", "--heads", "2", "--kv-heads", "1", "--intermediate", "64", "--seq-len", "32",
         "--batch-size", "4", "--max-steps", maxSteps.ToString(), "--warmup-steps", "2", "--eval-every", "1000", "--checkpoint-every", "5", "--threads", "1"];

    [Fact]
    public void Ctrl_c_during_lm_train_says_the_checkpoint_is_kept()
    {
        string o = Path.Combine(_dir, "lm");
        var (code, _, err, interrupted) = CliRunner.Run(() => Directory.Exists(Path.Combine(o, "checkpoint")), PosixSignal.SIGINT, LmTrain(o, 100000));
        Assert.True(interrupted);
        Assert.Equal(130, code); // 128 + SIGINT, as a shell reports it
        Assert.EndsWith($"interrupted: {Kept}", err.TrimEnd());
        Assert.False(File.Exists(Path.Combine(o, "model.safetensors")));
    }

    [Fact]
    public void Sigterm_during_lm_train_says_the_checkpoint_is_kept_and_the_rerun_resumes()
    {
        string o = Path.Combine(_dir, "lm");
        string[] args = LmTrain(o, 400);
        var (code, _, err, terminated) = CliRunner.Run(() => Directory.Exists(Path.Combine(o, "checkpoint")), PosixSignal.SIGTERM, args);
        Assert.True(terminated);
        Assert.Equal(143, code); // 128 + SIGTERM
        Assert.EndsWith($"terminated (SIGTERM): {Kept}", err.TrimEnd());
        Assert.False(File.Exists(Path.Combine(o, "model.safetensors")));

        var (rerun, _, log) = CliRunner.Run(args);
        Assert.True(rerun == 0, log);
        Assert.Matches(@"resuming at step \d+/400", log);
        Assert.True(File.Exists(Path.Combine(o, "model.safetensors")));
    }

    /// <summary>tokenize stops by itself at a sample boundary: exit 143 and the message, and the rerun encodes only the rest.</summary>
    [Fact]
    public void Sigterm_during_tokenize_stops_at_a_sample_and_the_rerun_finishes()
    {
        string tokenizer = Path.Combine(_dir, "tokenizer"), o = Path.Combine(_dir, "codes"), data = Path.Combine(o, CodeStore.DataFile);
        BuiltinTokenizer.Fit(EspeakCorpus.Manifest(), new BuiltinFitOptions { Seed = 3, CodebookSize = 32, MaxIterations = 5 }).Save(tokenizer);
        string[] args = ["tokenize", "--manifest", EspeakCorpus.ManifestPath, "--tokenizer", tokenizer, "--out", o, "--threads", "1"];
        var (code, stdout, err, terminated) = CliRunner.Run(() => File.Exists(data) && new FileInfo(data).Length > 0, PosixSignal.SIGTERM, args);
        Assert.True(terminated);
        Assert.True(code == 143, $"exit {code}: {err}");
        Assert.Equal("", stdout); // no summary: it did not finish
        Assert.Single(err.Split('\n'), l => l.Trim() == $"terminated (SIGTERM): {Kept}"); // the sample in hand may log its progress after it

        var (rerun, summary, log) = CliRunner.Run(args);
        Assert.True(rerun == 0, log);
        var m = Regex.Match(summary, @"^(\d+) samples: (\d+) tokenized, (\d+) already done");
        Assert.True(m.Success, summary);
        int total = int.Parse(m.Groups[1].Value), encoded = int.Parse(m.Groups[2].Value), kept = int.Parse(m.Groups[3].Value);
        Assert.Equal(total, encoded + kept);
        Assert.InRange(kept, 1, total); // what was finished before the signal is kept, the rest is encoded now
    }
}
