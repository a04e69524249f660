using System.Diagnostics;
using System.Runtime.InteropServices;

namespace SpeechTok.Audio;

/// <summary>
/// Loads audio as 16 kHz mono float32: WAV files natively (then our band-limited resampler), any other
/// container (mp3, flac, ogg, m4a…) through the <c>ffmpeg</c> executable.
/// </summary>
public static class AudioLoader
{
    public const int SampleRate = 16000;

    /// <summary>The sample's clips, each loaded and resampled, concatenated in manifest order.</summary>
    public static float[] LoadSample(ManifestSample sample, bool mixdown = false)
    {
        if (sample.AudioPaths.Count == 0) throw new SpeechTokException($"sample {sample.Key} (manifest line {sample.Line}) has no clips");
        if (sample.AudioPaths.Count == 1) return Load(sample.AudioPaths[0], mixdown);
        var parts = sample.AudioPaths.Select(p => Load(p, mixdown)).ToList();
        var all = new float[parts.Sum(p => p.Length)];
        int o = 0;
        foreach (var p in parts)
        {
            p.CopyTo(all, o);
            o += p.Length;
        }
        return all;
    }

    public static float[] Load(string path, bool mixdown = false)
    {
        if (!File.Exists(path)) throw new SpeechTokException($"{path}: audio file does not exist");
        if (IsWav(path))
        {
            var (x, rate) = WavReader.Read(path, mixdown);
            return rate == SampleRate ? x : Resampler.Resample(x, rate, SampleRate);
        }
        return FFmpeg.Decode(path, SampleRate, mixdown);
    }

    /// <summary>Checks that a clip can be loaded without decoding it: a WAV's header and data size, or that ffmpeg can probe it.</summary>
    public static void CheckReadable(string path)
    {
        if (!File.Exists(path)) throw new SpeechTokException($"{path}: audio file does not exist");
        if (IsWav(path)) WavReader.ReadHeader(path);
        else FFmpeg.RequireInstalled(path);
    }

    private static bool IsWav(string path)
    {
        Span<byte> magic = stackalloc byte[12];
        try
        {
            using var f = File.OpenRead(path);
            int n = f.Read(magic);
            if (n >= 12 && magic[..4].SequenceEqual("RIFF"u8) && magic[8..12].SequenceEqual("WAVE"u8)) return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SpeechTokException($"{path}: cannot open audio file ({e.Message})", e);
        }
        // A file named .wav that is not RIFF/WAVE is corrupt, not a job for ffmpeg: let the WAV reader name the defect.
        return path.EndsWith(".wav", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".wave", StringComparison.OrdinalIgnoreCase);
    }
}

/// <summary>Decodes through the external <c>ffmpeg</c> program to float32 little-endian mono on stdout.</summary>
public static class FFmpeg
{
    /// <summary>The program run; a test can point it elsewhere (e.g. a missing name) to check the error.</summary>
    internal static string Program { get; set; } = "ffmpeg";

    public static float[] Decode(string path, int sampleRate, bool mixdown)
    {
        // Channel 0 only unless mixdown, like the WAV path and the original (torchaudio, channel 0).
        var args = new List<string> { "-nostdin", "-v", "error", "-i", path, "-vn" };
        if (!mixdown) args.AddRange(["-af", "pan=mono|c0=c0"]);
        args.AddRange(["-ac", "1", "-ar", sampleRate.ToString(), "-f", "f32le", "-"]);
        var psi = new ProcessStartInfo(Program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
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
            proc.StandardOutput.BaseStream.CopyTo(ms);
            proc.WaitForExit();
            if (proc.ExitCode != 0)
                throw new SpeechTokException($"{path}: ffmpeg could not decode the file (exit {proc.ExitCode}): {err.Result.Trim()}");
            var bytes = ms.GetBuffer().AsSpan(0, (int)ms.Length);
            if (bytes.Length % 4 != 0) throw new SpeechTokException($"{path}: ffmpeg returned {bytes.Length} bytes, not whole float32 samples");
            return MemoryMarshal.Cast<byte, float>(bytes).ToArray();
        }
    }

    /// <summary>Fails with a message naming the file and the missing program when ffmpeg cannot be started.</summary>
    public static void RequireInstalled(string path)
    {
        var psi = new ProcessStartInfo(Program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-version");
        try
        {
            using var p = Process.Start(psi) ?? throw new InvalidOperationException("no process");
            p.StandardOutput.ReadToEnd();
            p.WaitForExit();
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            throw Missing(path, e);
        }
    }

    private static SpeechTokException Missing(string path, Exception e) =>
        new($"{path}: reading this format needs the '{Program}' program, which could not be started ({e.Message}); install ffmpeg (e.g. `apt-get install ffmpeg`) or convert the file to WAV", e);
}
