using SpeechTok.IO;
using SpeechTok.Tests.Audio;
using SpeechTok.Tests.Conformance;

namespace SpeechTok.Tests.Reliability;

/// <summary>
/// A second process writing a folder that another still writes is refused before it writes anything there: two `lm train`
/// into one --out lost most of the first's metrics.jsonl for good, and two `tokenize` appended the same samples twice. The
/// stand-in for the first process holds the folder's lock file exclusively, as <see cref="FolderLock"/> does.
/// </summary>
public sealed class FolderLockTests(KillInputs inputs) : IClassFixture<KillInputs>
{
    private static string SotuSample => Path.Combine(FixtureRoot.RepoRoot, "tests", "data", "sotu-sample");

    public static TheoryData<string> Commands => ["tokenize", "pretrain", "finetune", "lm train", "experiment"];

    private string[] Args(string command, string o) => command switch
    {
        "tokenize" => ["tokenize", "--manifest", EspeakCorpus.ManifestPath, "--tokenizer", inputs.SpeechTokenizer, "--out", o, "--threads", "1"],
        "pretrain" => ["pretrain", "--manifest", inputs.Data.Manifest, "--codes", inputs.Data.Codes, "--selection", inputs.Data.Selection, "--model", inputs.Model,
            "--out", o, "--epochs", "1", "--batch-size", "8"],
        "finetune" => ["finetune", "--manifest", inputs.Data.Manifest, "--codes", inputs.Data.Codes, "--selection", inputs.Data.Selection, "--no-pretrain",
            "--model", inputs.Model, "--out", o, "--epochs", "1", "--batch-size", "8", "--lora-r", "4", "--seeds", "1"],
        "experiment" => ["experiment", "--manifest", inputs.Data.Manifest, "--systems", "bow", "--out", o],
        _ => ["lm", "train", "--train", SotuSample, "--valid-from-year", "1900", "--out", o, "--vocab-size", "300", "--hidden", "16", "--layers", "1",
            "--heads", "2", "--kv-heads", "1", "--intermediate", "32", "--seq-len", "16", "--batch-size", "2", "--max-steps", "2", "--warmup-steps", "1", "--threads", "1"],
    };

    [Theory, MemberData(nameof(Commands))]
    public void A_second_writer_of_a_folder_is_refused_before_it_writes_there(string command)
    {
        var o = Directory.CreateTempSubdirectory("speechtok-lock-").FullName;
        try
        {
            using (var first = FileLock.TryAcquire(Path.Combine(o, FolderLock.FileName), o))
            {
                Assert.NotNull(first);
                var (code, _, err) = CliRunner.Run(Args(command, o));
                Assert.Equal(2, code);
                Assert.Contains($"another process is writing {o} ", err);
                Assert.Equal([FolderLock.FileName], Directory.EnumerateFileSystemEntries(o).Select(Path.GetFileName));
            }
            // The lock file a run leaves behind does not make the folder another command's.
            var (again, _, err2) = CliRunner.Run(Args(command, o));
            Assert.True(again == 0, err2);
        }
        finally { Directory.Delete(o, recursive: true); }
    }
}
