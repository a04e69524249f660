using System.Diagnostics;
using System.Runtime.InteropServices;

namespace SpeechTok.Tests;

/// <summary>Runs the built <c>speechtok</c> CLI in a child process (as a user would) and captures its exit code and output.</summary>
internal static class CliRunner
{
    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        var (code, o, err, _) = Run(null, args);
        return (code, o, err);
    }

    /// <summary>As <see cref="Run(string[])"/>, with these environment variables set in the child (e.g. a .NET heap limit).</summary>
    public static (int Code, string Out, string Err) RunWith(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var (code, o, err, _) = Start(null, null, environment, args);
        return (code, o, err);
    }

    /// <summary>
    /// With <paramref name="killWhen"/> (polled every 5 ms while the process runs), SIGKILLs the process and any child
    /// as soon as it returns true; Killed: it was still running then.
    /// </summary>
    public static (int Code, string Out, string Err, bool Killed) Run(Func<bool>? killWhen, params string[] args) => Run(killWhen, null, args);

    /// <summary>
    /// As <see cref="Run(Func{bool}?, string[])"/>, but with <paramref name="signal"/> (SIGINT = Ctrl+C, SIGTERM) the process
    /// gets that signal instead of SIGKILL. It starts with the signal's default action restored (coreutils
    /// <c>env --default-signal</c>), since a test host started in the background passes SIGINT on as ignored.
    /// </summary>
    public static (int Code, string Out, string Err, bool Killed) Run(Func<bool>? killWhen, PosixSignal? signal, params string[] args) =>
        Start(killWhen, signal, null, args);

    private static (int Code, string Out, string Err, bool Killed) Start(Func<bool>? killWhen, PosixSignal? signal, IReadOnlyDictionary<string, string>? environment, string[] args)
    {
        string? name = signal?.ToString()["SIG".Length..]; // INT, TERM: as env and kill name them
        var psi = new ProcessStartInfo(name != null ? "env" : "dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) psi.Environment[key] = value;
        if (name != null) foreach (var a in new[] { $"--default-signal={name}", "dotnet" }) psi.ArgumentList.Add(a);
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "speechtok.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var o = p.StandardOutput.ReadToEndAsync();
        bool killed = false;
        if (killWhen != null)
            while (!p.WaitForExit(5))
                if (killWhen())
                {
                    if (name != null) Process.Start("kill", [$"-{name}", p.Id.ToString()])!.WaitForExit(); // env has exec'd dotnet: same pid
                    else p.Kill(entireProcessTree: true); // SIGKILL on Linux: no handler, no flush, no finally
                    killed = true;
                    break;
                }
        p.WaitForExit();
        return (p.ExitCode, o.Result, err.Result, killed);
    }
}
