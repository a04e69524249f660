using System.CommandLine;

namespace SpeechTok.Cli.Commands;

/// <summary>`speechtok bench ...`: throughput measurements printed as JSON (last line).</summary>
internal static class BenchCommands
{
    public static Command Build()
    {
        var bench = new Command("bench", "Measure throughput; the last line printed is JSON.");
        bench.Subcommands.Add(TokenizerBenchCommand.Build());
        bench.Subcommands.Add(BenchGemm.Build());
        bench.Subcommands.Add(BenchLm.Build());
        bench.Subcommands.Add(BenchCodec.Build());
        bench.Subcommands.Add(SelectBenchCommand.Build());
        return bench;
    }
}
