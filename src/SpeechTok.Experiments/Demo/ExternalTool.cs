using System.ComponentModel;
using System.Diagnostics;

namespace SpeechTok.Experiments.Demo;

/// <summary>Runs a command-line program without a shell; a missing program becomes an error saying how to install it.</summary>
internal static class ExternalTool
{
    public static string Run(string program, IEnumerable<string> args, string aptPackage)
    {
        var psi = new ProcessStartInfo(program)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            CreateNoWindow = true,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        Process? p;
        try
        {
            p = Process.Start(psi);
        }
        catch (Win32Exception e)
        {
            throw new SpeechTokException(
                $"'{program}' could not be started ({e.Message}); the demo dataset needs it. Install it with `sudo apt-get install {aptPackage}` " +
                "(Debian/Ubuntu) or run scripts/setup.sh");
        }
        if (p == null) throw new SpeechTokException($"'{program}' could not be started");
        using (p)
        {
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            p.WaitForExit();
            if (p.ExitCode != 0)
                throw new SpeechTokException($"'{program} {string.Join(' ', psi.ArgumentList)}' failed with exit code {p.ExitCode}: {stderr.Result.Trim()}");
            return stdout.Result;
        }
    }
}
