using System.Text.Json;

namespace SpeechTok.Tests.Tensors;

/// <summary>`speechtok bench gemm --json` named only the sizes and threads, not the transposes, bf16, backend or run count it measured.</summary>
public sealed class BenchGemmTests
{
    [Fact]
    public void Json_line_names_every_option_that_shapes_the_measurement()
    {
        var (code, o, err) = CliRunner.Run("bench", "gemm", "--m", "8", "--n", "16", "--k", "24", "--threads", "1", "--runs", "5",
            "--transa", "--transb", "--bf16", "--json");
        Assert.True(code == 0, err);
        var lines = o.Trim().Split('\n');
        Assert.Single(lines); // --json: only the JSON line
        using var doc = JsonDocument.Parse(lines[0]);
        var root = doc.RootElement;
        Assert.Equal(["m", "n", "k", "threads", "runs", "transa", "transb", "bf16", "backend", "gflops"], root.EnumerateObject().Select(p => p.Name));
        Assert.Equal(8, root.GetProperty("m").GetInt32());
        Assert.Equal(5, root.GetProperty("runs").GetInt32());
        Assert.True(root.GetProperty("transa").GetBoolean());
        Assert.True(root.GetProperty("transb").GetBoolean());
        Assert.True(root.GetProperty("bf16").GetBoolean());
        Assert.Equal("managed", root.GetProperty("backend").GetString());
        Assert.True(root.GetProperty("gflops").GetDouble() > 0);
    }
}
