using System.Text.Json;

namespace SpeechTok.Tests.Lm;

/// <summary>`speechtok bench lm-step --min-seq`: a padded batch of unequal lengths, every workload, one clear error for a bad range.</summary>
public sealed class BenchLmStepTests
{
    [Theory]
    [InlineData("finetune")]
    [InlineData("infer")]
    [InlineData("pretrain")]
    [InlineData("full")]
    public void Padded_batch_of_unequal_lengths_runs_and_reports_its_range(string workload)
    {
        var (code, o, err) = CliRunner.Run("bench", "lm-step", "--shape", "builtin-256x4", "--workload", workload, "--batch", "3", "--seq", "16",
            "--min-seq", "4", "--steps", "1", "--new-rows", "8", "--json");
        Assert.True(code == 0, err);
        using var doc = JsonDocument.Parse(o.Trim().Split('\n')[^1]);
        Assert.Equal(4, doc.RootElement.GetProperty("min_seq").GetInt32());
        Assert.Equal(16, doc.RootElement.GetProperty("seq").GetInt32());
        Assert.True(doc.RootElement.GetProperty("tokens_per_s").GetDouble() > 0);
    }

    [Fact]
    public void Min_seq_outside_the_range_is_one_clear_error()
    {
        var (code, _, err) = CliRunner.Run("bench", "lm-step", "--shape", "builtin-256x4", "--batch", "2", "--seq", "16", "--min-seq", "17", "--steps", "1");
        Assert.NotEqual(0, code);
        Assert.Contains("--min-seq must be in [2, --seq = 16], got 17", err);
    }
}
