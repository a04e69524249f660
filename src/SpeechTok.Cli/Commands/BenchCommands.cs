using System.CommandLine;

namespace SpeechTok.Cli.Commands;

/// <summary>`speechtok bench ...`: throughput measurements printed as JSON (last line).</summary>
internal static class BenchCommands
{
    public static Command Build()
    {
        var bench = new Command("bench", "Measure throughput; the last line printed is JSON (--json: only that line).");
        bench.Subcommands.Add(TokenizerBenchCommand.Build());
        bench.Subcommands.Add(BenchGemm.Build());
        bench.Subcommands.Add(BenchLm.Build());
        bench.Subcommands.Add(BenchCodec.Build());
        bench.Subcommands.Add(SelectBenchCommand.Build());
        return bench;
    }

    /// <summary>
    /// Refuses a buffer of <paramref name="count"/> elements (computed in long by the caller) that no .NET array holds,
    /// before anything is allocated: "bench gemm: --m × --k = 10000000000 elements, more than a .NET array holds (2147483591)".
    /// </summary>
    public static void FitsArray(string command, string product, long count)
    {
        if (count > Array.MaxLength)
            throw new SpeechTokException($"bench {command}: {product} = {count} elements, more than a .NET array holds ({Array.MaxLength}); lower them");
    }

    /// <summary>
    /// Runs a measurement; running out of memory on sizes the options asked for is the user's to lower (one error line,
    /// exit 2), not a crash. OverflowException is an array size past .NET's limit that the up-front checks did not foresee.
    /// </summary>
    public static int Sized(string command, string options, Func<int> run)
    {
        try { return run(); }
        catch (Exception e) when (e is OutOfMemoryException or OverflowException
            || e is AggregateException a && a.Flatten().InnerExceptions.Any(x => x is OutOfMemoryException or OverflowException))
        {
            throw new SpeechTokException($"bench {command}: not enough memory for these sizes; lower {options}", e);
        }
    }
}
