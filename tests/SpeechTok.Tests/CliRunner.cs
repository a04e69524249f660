using System.Diagnostics;

namespace SpeechTok.Tests;

/// <summary>Runs the built <c>speechtok</c> CLI in a child process (as a user would) and captures its exit code and output.</summary>
internal static class CliRunner
{
    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        var (code, o, err, _) = Run(null, args);
        return (code, o, err);
    }

    /// <summary>
    /// With <paramref name="killWhen"/> (polled every 5 ms while the process runs), SIGKILLs the process and any child
    /// as soon as it returns true; Killed: it was still running then.
    /// </summary>
    public static (int Code, string Out, string Err, bool Killed) Run(Func<bool>? killWhen, params string[] args) => Run(killWhen, false, args);

    /// <summary>
    /// As <see cref="Run(Func{bool}?, string[])"/>, but with <paramref name="interrupt"/> the process gets SIGINT (Ctrl+C)
    /// instead of SIGKILL. It starts with SIGINT's default action restored (coreutils <c>env --default-signal</c>), since a
    /// test host started in the background passes SIGINT on as ignored.
    /// </summary>
    public static (int Code, string Out, string Err, bool Killed) Run(Func<bool>? killWhen, bool interrupt, params string[] args)
    {
        var psi = new ProcessStartInfo(interrupt ? "env" : "dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (interrupt) foreach (var a in new[] { "--default-signal=INT", "dotnet" }) psi.ArgumentList.Add(a);
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
                    if (interrupt) Process.Start("kill", ["-INT", p.Id.ToString()])!.WaitForExit(); // env has exec'd dotnet: same pid
                    else p.Kill(entireProcessTree: true); // SIGKILL on Linux: no handler, no flush, no finally
                    killed = true;
                    break;
                }
        p.WaitForExit();
        return (p.ExitCode, o.Result, err.Result, killed);
    }
}
