namespace SpeechTok.Tests.Cli;

/// <summary>
/// `speechtok bench` with sizes past .NET's array limit or the machine's memory crashed (OverflowException, out of
/// memory: exit 134), and codec's bad model options were reported against a deleted temp config.json: each is one
/// error line naming the options, exit 2.
/// </summary>
public sealed class BenchSizeTests
{
    public static TheoryData<string[], string> Refused => new()
    {
        { ["gemm", "--m", "100000", "--n", "1", "--k", "100000", "--json"], "error: bench gemm: --m × --k = 10000000000 elements, more than a .NET array holds" },
        { ["codec", "--seconds", "1", "--batch", "1", "--runs", "1", "--n-filters", "8", "--dimension", "64", "--codebook-size", "100000000", "--json"],
            "error: bench codec: --codebook-size × --dimension = 6400000000 elements" },
        { ["codec", "--batch", "100000000"], "error: bench codec: --batch × (--seconds × 16000) = 16000000000000 elements" },
        { ["codec", "--seconds", "Infinity"], "error: --seconds Infinity: must be a positive number ≤ 3600" },
        { ["codec", "--seconds", "1e9"], "error: --seconds 1e9: must be a positive number ≤ 3600" },
        { ["codec", "--seconds", "NaN"], "error: --seconds NaN: must be a positive number ≤ 3600" },
        { ["codec", "--n-filters", "0"], "error: --n-filters 0: must be at least 1" },
        { ["codec", "--dimension", "0"], "error: --dimension 0: must be at least 1" },
        { ["codec", "--codebook-size", "0"], "error: --codebook-size 0: must be at least 1" },
        { ["codec", "--n-q", "0"], "error: --n-q 0: must be at least 1" },
        { ["codec", "--n-filters", "3", "--seconds", "0.1"], "error: bench codec: --n-filters, --dimension, --codebook-size, --n-q give no model: n_filters 3 is not divisible" },
        { ["lm-step", "--shape", "builtin-256x4", "--batch", "2", "--seq", "100000", "--steps", "1", "--json"],
            "error: bench lm-step: --seq 100000 is more than --shape builtin-256x4's max_position_embeddings (2048)" },
        { ["lm-step", "--shape", "builtin-256x4", "--batch", "100000000", "--seq", "2000", "--steps", "1"], "error: bench lm-step: --batch × --seq = 200000000000 elements" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void Sizes_past_the_limits_are_one_error_naming_the_options(string[] args, string expected)
    {
        var (code, _, err) = CliRunner.Run(["bench", .. args]);
        Assert.Equal(2, code);
        Assert.StartsWith(expected, err);
        Assert.Single(err.Trim().Split('\n'));
        Assert.DoesNotContain("speechtok-bench-", err); // not the deleted temp config
    }

    /// <summary>Under a 256 MiB GC heap, sizes within the array limit still run out of memory: one line saying what to lower.</summary>
    [Theory]
    [InlineData(new[] { "gemm", "--m", "8000", "--n", "8000", "--k", "8000", "--json" }, "error: bench gemm: not enough memory for these sizes; lower --m, --n or --k")]
    [InlineData(new[] { "codec", "--seconds", "60", "--batch", "200", "--n-filters", "8", "--dimension", "64", "--json" }, "error: bench codec: not enough memory for these sizes; lower --seconds, --batch")]
    public void Out_of_memory_is_one_error_naming_the_options(string[] args, string expected)
    {
        var (code, _, err) = CliRunner.RunWith(new Dictionary<string, string> { ["DOTNET_GCHeapHardLimit"] = "0x10000000" }, ["bench", .. args]);
        Assert.Equal(2, code);
        Assert.StartsWith(expected, err);
        Assert.Single(err.Trim().Split('\n'));
    }
}
