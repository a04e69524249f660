using System.Diagnostics;

namespace SpeechTok.Audio;

/// <summary>Decodes through the external <c>ffmpeg</c> program to float32 little-endian mono on stdout.</summary>
public static class FFmpeg
{
    /// <summary>The program run; a test can point it elsewhere (e.g. a missing name) to check the error.</summary>
    internal static string Program { get; set; } = "ffmpeg";

    /// <summary>
    /// Decodes to a float32 WAV on ffmpeg's stdout at the file's own rate and channel layout; channel 0 or the
    /// mixdown is then taken by <see cref="WavReader"/> (ffmpeg's own downmix is not a plain average) and
    /// resampling is left to our resampler, so every input goes through the same path. The path goes to ffmpeg as a
    /// <c>file:</c> URL, so a name such as <c>pipe:0.flac</c> or <c>a:b.flac</c> is read as the file it is.
    /// </summary>
    public static (float[] Samples, int SampleRate) Decode(string path, bool mixdown)
    {
        var psi = new ProcessStartInfo(Program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-nostdin", "-v", "error", "-i", "file:" + Path.GetFullPath(path), "-vn", "-c:a", "pcm_f32le", "-f", "wav", "-" }) psi.ArgumentList.Add(a);
        Process proc;
        try { proc = Process.Start(psi) ?? throw new InvalidOperationException("no process"); }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            throw Missing(path, e);
        }
        using (proc)
        {
            var err = proc.StandardError.ReadToEndAsync();
            using var ms = new MemoryStream();
            try { proc.StandardOutput.BaseStream.CopyTo(ms); }
            catch (IOException e) when (ms.Length > int.MaxValue / 2) // MemoryStream's 2 GiB cap ("Stream was too long")
            {
                proc.Kill();
                throw new SpeechTokException($"{path}: ffmpeg decodes it to more than 1 GiB of float32 samples, more than one clip may hold ({e.Message}); cut it into shorter clips", e);
            }
            proc.WaitForExit();
            if (proc.ExitCode != 0)
                throw new SpeechTokException($"{path}: ffmpeg could not decode the file (exit {proc.ExitCode}): "
                    + string.Join("; ", err.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))); // one line
            ms.Position = 0;
            return WavReader.Read(ms, $"{path} (as decoded by ffmpeg)", mixdown);
        }
    }

    // Whether each program name could be started (null) or why not; checked once, not once per clip.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Exception?> Probed = new();

    /// <summary>Fails with a message naming the file and the missing program when ffmpeg cannot be started.</summary>
    public static void RequireInstalled(string path)
    {
        var failure = Probed.GetOrAdd(Program, program =>
        {
            var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            psi.ArgumentList.Add("-version");
            try
            {
                using var p = Process.Start(psi) ?? throw new InvalidOperationException("no process");
                p.StandardOutput.ReadToEnd();
                p.WaitForExit();
                return null;
            }
            catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
            {
                return e;
            }
        });
        if (failure != null) throw Missing(path, failure);
    }

    private static SpeechTokException Missing(string path, Exception e) =>
        new($"{path}: reading this format needs the '{Program}' program, which could not be started ({e.Message}); install ffmpeg (e.g. `apt-get install ffmpeg`) or convert the file to WAV", e);
}
