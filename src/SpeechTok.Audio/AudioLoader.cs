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
        var (y, r) = FFmpeg.Decode(path, mixdown);
        return r == SampleRate ? y : Resampler.Resample(y, r, SampleRate);
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
