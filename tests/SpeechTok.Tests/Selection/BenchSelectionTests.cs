using SpeechTok.Cli;

namespace SpeechTok.Tests.Selection;

/// <summary>`bench selection`'s default fixture path.</summary>
public sealed class BenchSelectionTests
{
    /// <summary>
    /// The default --synthetic was tests/fixtures/l1-selection/synthetic.json relative to the current folder, so the bench
    /// failed outside the repository root; it is now the copy beside the program, and a missing file is named in full.
    /// </summary>
    [Fact]
    public void Default_fixture_is_found_from_any_folder_and_a_missing_one_is_named_in_full()
    {
        var parsed = SpeechTokCommand.Build().Parse(["bench", "selection"]);
        var option = parsed.CommandResult.Command.Options.Single(o => o.Name == "--synthetic");
        string path = parsed.GetValue((System.CommandLine.Option<string>)option)!;
        Assert.True(Path.IsPathRooted(path), path);
        Assert.Equal(File.ReadAllBytes(Path.Combine(Conformance.FixtureRoot.RepoRoot, "tests", "fixtures", "l1-selection", "synthetic.json")), File.ReadAllBytes(path));

        var (code, _, err) = CliRunner.Run("bench", "selection", "--synthetic", "no-such-fixture.json");
        Assert.Equal(2, code);
        Assert.Equal($"error: --synthetic: '{Path.GetFullPath("no-such-fixture.json")}' does not exist (the l1-selection fixture's synthetic.json; the build copies it beside the program)",
            err.Trim());
    }
}
