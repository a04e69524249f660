using System.CommandLine;
using SpeechTok;
using SpeechTok.Cli;
using SpeechTok.Cli.Commands;

var root = SpeechTokCommand.Build();

// Ctrl+C and SIGTERM end the process (tokenize stops at a sample boundary); say what is kept, since the default is silence.
Interruption.Announce(args);

try
{
    var parsed = root.Parse(args);
    // A malformed command line is an input error like any other: one line, exit 2 (not the whole help text, exit 1).
    if (parsed.Errors.Count > 0)
    {
        string command = string.Join(' ', parsed.CommandResult.Command.Name == root.Name ? [] : CommandPath(parsed.CommandResult));
        string problems = MissingCommand(parsed, command) ?? string.Join(" ", parsed.Errors.Select(Plain).Distinct());
        Console.Error.WriteLine($"error: {problems} (see `speechtok {command}{(command.Length > 0 ? " " : "")}--help`)");
        return 2;
    }
    return parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
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
// The same failures from worker threads (parallel tokenization, seed workers) arrive wrapped; report the first as above.
catch (AggregateException e) when (e.Flatten().InnerExceptions.FirstOrDefault(x => x is SpeechTokException or IOException or UnauthorizedAccessException) is { } first)
{
    Console.Error.WriteLine($"error: {first.Message}");
    return 2;
}

static IEnumerable<string> CommandPath(System.CommandLine.Parsing.CommandResult result) =>
    result.Parent is System.CommandLine.Parsing.CommandResult parent && parent.Parent != null ? [.. CommandPath(parent), result.Command.Name] : [result.Command.Name];

// A command with subcommands (speechtok, lm, bench, tokenizer) given none, or an unknown one: System.CommandLine reports
// "Required command was not provided." and "Unrecognized command or argument 'foo'." as two errors; say it once.
static string? MissingCommand(ParseResult parsed, string command)
{
    var subcommands = parsed.CommandResult.Command.Subcommands;
    if (subcommands.Count == 0) return null;
    string expected = $"(expected {string.Join(", ", subcommands.Select(c => c.Name))})";
    string name = command.Length > 0 ? $"speechtok {command}" : "speechtok";
    return parsed.UnmatchedTokens.Count > 0 ? $"'{parsed.UnmatchedTokens[0]}' is not a {name} command {expected}" : $"{name} needs a command {expected}";
}

// System.CommandLine names .NET types ("System.Nullable`1[System.Int32]") and an option by its first name; say what a
// user types instead, and name the option as they gave it (an alias too).
static string Plain(System.CommandLine.Parsing.ParseError error)
{
    string message = System.Text.RegularExpressions.Regex.Replace(error.Message, @"\s*\n\s*", " "); // one line
    var m = System.Text.RegularExpressions.Regex.Match(message, @"^Cannot parse argument '(.*)' for option '(.*)' as expected type '(.*)'\.$");
    if (!m.Success) return message;
    string option = error.SymbolResult is System.CommandLine.Parsing.OptionResult given ? OptionRules.Given(given) : m.Groups[2].Value;
    string type = m.Groups[3].Value;
    string want = type.Contains("UInt") ? "a non-negative integer" : type.Contains("Int") ? "an integer" : type.Contains("Double") || type.Contains("Single") ? "a number" : type.Contains("Boolean") ? "true or false" : "a " + type;
    return $"{option}: '{m.Groups[1].Value}' is not {want}.";
}
