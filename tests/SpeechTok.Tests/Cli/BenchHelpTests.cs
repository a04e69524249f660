using System.Text.Json;

namespace SpeechTok.Tests.Cli;

/// <summary>
/// The bench commands' help listed fewer JSON keys than they print (codec: rtf, rtf_batchN only; lm-step: two of ten),
/// and `bench --help` promised a JSON last line that `bench tokenizer --json` refused as an unknown argument.
/// </summary>
public sealed class BenchHelpTests
{
    private static readonly string Tokenizer = Path.Combine(SpeechTok.Tests.Conformance.FixtureRoot.RepoRoot, "models", "builtin-lm");

    public static TheoryData<string[]> Runs => new()
    {
        { ["codec", "--seconds", "0.05", "--batch", "2", "--runs", "1", "--n-filters", "8", "--dimension", "16", "--codebook-size", "8", "--n-q", "1", "--threads", "1"] },
        { ["lm-step", "--shape", "builtin-256x4", "--batch", "1", "--seq", "8", "--steps", "1", "--threads", "1"] },
        { ["gemm", "--m", "8", "--n", "8", "--k", "8", "--runs", "5", "--threads", "1"] },
        { ["tokenizer", "--tokenizer", Tokenizer, "--lines", "20"] },
        { ["selection", "--c", "0.0025", "--threads", "1"] },
    };

    [Theory]
    [MemberData(nameof(Runs))]
    public void Help_lists_every_key_of_the_json_line_and_json_prints_only_it(string[] args)
    {
        var (code, o, err) = CliRunner.Run(["bench", .. args, "--json"]);
        Assert.True(code == 0, err);
        var lines = o.Trim().Split('\n');
        Assert.Single(lines); // --json: only the JSON line
        using var doc = JsonDocument.Parse(lines[0]);
        var (helpCode, help, _) = CliRunner.Run("bench", args[0], "--help");
        Assert.Equal(0, helpCode);
        var keys = doc.RootElement.EnumerateObject().Select(p => p.Name).ToList();
        if (doc.RootElement.TryGetProperty("runs", out var runs) && runs.ValueKind == JsonValueKind.Array) keys.AddRange(runs[0].EnumerateObject().Select(p => p.Name)); // bench selection's per-C runs
        foreach (var key in keys)
            Assert.Contains($"\"{key.Replace("_batch2", "_batchN")}\"", help);
    }
}
