using System.Text.Json;
using System.Text.Json.Nodes;
using SpeechTok.Cli;
using SpeechTok.Selection;
using SpeechTok.Tests.Audio;

namespace SpeechTok.Tests.Selection;

/// <summary>`bench selection`'s fixture: its default path, and the fixtures it refuses.</summary>
public sealed class BenchSelectionTests : IDisposable
{
    private readonly string _dir = Tool.TempDir("bench-selection");

    public void Dispose() => Directory.Delete(_dir, true);

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

    /// <summary>The fixture's generator with a 12 × 32 matrix instead of 13,400 × 8,192 (the same parameters, smaller).</summary>
    private static JsonObject TinyParams() => new()
    {
        ["N"] = 12, ["P_POS"] = 4, ["LAYERS"] = 2, ["CODES"] = 16, ["T_MIN"] = 5, ["T_SPAN"] = 5, ["Q"] = 3, ["WEIGHT_SCALE"] = 100000,
        ["N_PLANTED"] = 4, ["PLANT_RANK0"] = 2, ["PLANT_RANK_STEP"] = 3, ["EPS_NUM"] = 1_000_000_000L,
        ["SEED_LABEL"] = 1, ["SEED_FRAMES"] = 2, ["SEED_PERM"] = 3, ["SEED_TOK"] = 4, ["SEED_PLANT"] = 5, ["SEED_PICK"] = 6,
    };

    /// <summary>
    /// A fixture that lists only some of the checksums was used with the others unverified (a missing one was skipped); one
    /// that is not JSON failed with a JsonException and its stack. Both are now one line naming the file.
    /// </summary>
    [Fact]
    public void A_fixture_without_every_checksum_or_that_is_not_json_is_refused_naming_the_file()
    {
        var syn = SyntheticAudioBow.Generate(JsonDocument.Parse(TinyParams().ToJsonString()).RootElement);
        Assert.Equal(["nnz", "total_count", "sha256_indptr_int64le", "sha256_indices_int32le", "sha256_data_int32le", "sha256_y_int8"], syn.Checksums.Keys);
        var all = new JsonObject(syn.Checksums.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value)));
        syn.VerifyChecksums(JsonDocument.Parse(all.ToJsonString()).RootElement); // the tiny fixture itself is consistent
        Assert.Equal("synthetic matrix: the fixture's generator.checksums has no 'nnz', so the matrix cannot be verified",
            Assert.Throws<SpeechTokException>(() => syn.VerifyChecksums(JsonDocument.Parse("[]").RootElement)).Message);

        all.Remove("sha256_y_int8"); // the others are right
        string path = Path.Combine(_dir, "synthetic.json");
        File.WriteAllText(path, new JsonObject { ["generator"] = new JsonObject { ["params"] = TinyParams(), ["checksums"] = all } }.ToJsonString());
        var (code, stdout, err) = CliRunner.Run("bench", "selection", "--synthetic", path);
        Assert.Equal((2, ""), (code, stdout));
        Assert.Equal($"error: --synthetic {path}: synthetic matrix: the fixture's generator.checksums has no 'sha256_y_int8', so the matrix cannot be verified", err.Trim());

        File.WriteAllText(path, "N = 13400\n");
        (code, stdout, err) = CliRunner.Run("bench", "selection", "--synthetic", path);
        Assert.Equal((2, ""), (code, stdout));
        Assert.StartsWith($"error: --synthetic {path}: not the l1-selection fixture's synthetic.json (", err.Trim());
        Assert.EndsWith("); it needs generator.params and generator.checksums", err.Trim());
    }
}
