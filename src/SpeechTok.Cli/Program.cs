using System.CommandLine;
using SpeechTok;
using SpeechTok.Cli.Commands;

var root = new RootCommand("speechtok: add discrete speech tokens to a pre-trained language model for classification.");
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

try
{
    return root.Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (SpeechTokException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}
// The file system's own refusals (a path that is a file, a read-only folder, an unreadable file) name the path:
// they are the user's to fix, not a crash.
catch (Exception e) when (e is IOException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}
