using System.Runtime.InteropServices;

namespace SpeechTok.Cli;

/// <summary>
/// Ctrl+C (SIGINT) and SIGTERM (<c>timeout</c>, <c>docker stop</c>, <c>kill</c>) stop a command alike: one line on stderr
/// says what is kept, and the process exits with 128 + the signal's number (130, 143), as a shell reports it; outputs
/// are written whole or not at all, so a rerun resumes. A command that can stop at a clean boundary (tokenize: the
/// samples in hand) creates an instance while it works: the signal then cancels <see cref="Token"/> instead of ending
/// the process, and the command returns <see cref="ExitCode"/>.
/// </summary>
internal sealed class Interruption : IDisposable
{
    private static readonly PosixSignal[] Signals = [PosixSignal.SIGINT, PosixSignal.SIGTERM];
    private static readonly string[] Resumable = ["mosei", "tokenize", "pretrain", "finetune", "experiment", "demo"];
    /// <summary>Held for the life of the process: a collected registration would unregister its handler.</summary>
    private static PosixSignalRegistration[]? _announcements;

    private readonly CancellationTokenSource _cts = new();
    private readonly PosixSignalRegistration[] _registrations;
    private volatile int _exitCode;

    public Interruption() =>
        _registrations = Signals.Select(signal => PosixSignalRegistration.Create(signal, context =>
        {
            context.Cancel = true; // the command stops by itself, at its boundary
            _exitCode = ExitCodeOf(signal);
            _cts.Cancel();
        })).ToArray();

    /// <summary>Cancelled by the first SIGINT or SIGTERM.</summary>
    public CancellationToken Token => _cts.Token;

    /// <summary>What the command returns once <see cref="Token"/> is cancelled: 130 after SIGINT, 143 after SIGTERM.</summary>
    public int ExitCode => _exitCode;

    public void Dispose()
    {
        foreach (var r in _registrations) r.Dispose();
        _cts.Dispose();
    }

    /// <summary>
    /// Registers, once for the process, the line each signal prints (the default is silence). The process then ends
    /// with the signal, unless an instance is stopping its command.
    /// </summary>
    public static void Announce(string[] args) =>
        _announcements ??= Signals.Select(signal => PosixSignalRegistration.Create(signal, _ => Console.Error.WriteLine(Environment.NewLine + Message(signal, args)))).ToArray();

    /// <summary>128 + the signal's number, as a shell reports a process it ended.</summary>
    private static int ExitCodeOf(PosixSignal signal) => signal == PosixSignal.SIGINT ? 130 : 143;

    /// <summary>"interrupted: …" for Ctrl+C, "terminated (SIGTERM): …": what the command keeps.</summary>
    internal static string Message(PosixSignal signal, string[] args)
    {
        bool resumes = args.Length > 0 && (Resumable.Contains(args[0]) || (args[0] == "lm" && args.Length > 1 && args[1] == "train"));
        return (signal == PosixSignal.SIGINT ? "interrupted" : "terminated (SIGTERM)") + (resumes
            ? ": finished work and the last checkpoint are kept; rerun the same command to resume"
            : ": nothing half-written is left (outputs are written whole or not at all)");
    }
}
