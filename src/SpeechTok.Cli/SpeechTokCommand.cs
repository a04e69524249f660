using System.CommandLine;
using SpeechTok.Cli.Commands;

namespace SpeechTok.Cli;

/// <summary>The <c>speechtok</c> command tree, every command with its options (what Program parses and the help tests walk).</summary>
internal static class SpeechTokCommand
{
    public static RootCommand Build()
    {
        var root = new RootCommand("SpeechTok adds discrete speech tokens to a pre-trained language model for classification.");
        // Commands in data-flow order: audio → codes → selection → model → training → evaluation.
        root.Subcommands.Add(MoseiCommand.Build());
        root.Subcommands.Add(CodesCommand.Build());
        root.Subcommands.Add(TokenizerFitCommand.Build());
        root.Subcommands.Add(TokenizeCommand.Build());
        root.Subcommands.Add(SelectCommand.Build());
        root.Subcommands.Add(BaselineCommand.Build());
        root.Subcommands.Add(PretrainCommand.Build());
        root.Subcommands.Add(FinetuneCommand.Build());
        root.Subcommands.Add(EvaluateCommand.Build());
        root.Subcommands.Add(PredictCommand.Build());
        root.Subcommands.Add(ExperimentCommand.Build());
        root.Subcommands.Add(DemoCommand.Build());
        root.Subcommands.Add(LmCommand.Build());
        root.Subcommands.Add(BenchCommands.Build());
        return root;
    }
}
