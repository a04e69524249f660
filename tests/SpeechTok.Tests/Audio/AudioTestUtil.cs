using System.Diagnostics;

namespace SpeechTok.Tests.Audio;

/// <summary>Runs the external tools the audio tests use (sox, ffmpeg, espeak-ng; installed by scripts/setup.sh).</summary>
internal static class Tool
{
    public static void Run(string program, params string[] args)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{program} {string.Join(" ", args)} failed ({p.ExitCode}): {err.Result}");
    }

    public static string TempDir(string name)
    {
        var d = Path.Combine(Path.GetTempPath(), $"speechtok-{name}-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(d);
        return d;
    }

    public static float[] Sine(double freq, double seconds, int rate, double amp = 0.5, double phase = 0)
    {
        var x = new float[(int)(seconds * rate)];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(amp * Math.Sin(2 * Math.PI * freq * i / rate + phase));
        return x;
    }
}
