namespace SpeechTok.Audio;

/// <summary>
/// Loads audio as 16 kHz mono float32: WAV files natively (then our band-limited resampler), any other
/// container (mp3, flac, ogg, m4a…) through the <c>ffmpeg</c> executable.
/// </summary>
public static class AudioLoader
{
    public const int SampleRate = 16000;

    /// <summary>The sample's clips, each loaded and resampled, concatenated in manifest order; errors name the manifest line and the clip.</summary>
    public static float[] LoadSample(ManifestSample sample, bool mixdown = false)
    {
        if (sample.AudioPaths.Count == 0) throw new SpeechTokException($"{sample.Where}: the sample has no clips (empty audio_path_list)");
        List<float[]> parts;
        try { parts = sample.AudioPaths.Select(p => Load(p, mixdown)).ToList(); }
        catch (SpeechTokException e) { throw new SpeechTokException($"{sample.Where}: {e.Message}", e); }
        if (parts.Count == 1) return parts[0];
        var all = new float[parts.Sum(p => p.Length)];
        int o = 0;
        foreach (var p in parts)
        {
            p.CopyTo(all, o);
            o += p.Length;
        }
        return all;
    }

    /// <summary>One clip as 16 kHz mono float32 (channel 0, or the average with <paramref name="mixdown"/>).</summary>
    /// <exception cref="SpeechTokException">The file is missing, unreadable or empty (0 samples); the message names it.</exception>
    public static float[] Load(string path, bool mixdown = false)
    {
        if (!File.Exists(path)) throw new SpeechTokException($"{path}: " + (Directory.Exists(path) ? "is a folder, not an audio file" : "audio file does not exist"));
        var (x, rate) = IsWav(path) ? WavReader.Read(path, mixdown) : FFmpeg.Decode(path, mixdown);
        if (x.Length == 0) throw new SpeechTokException($"{path}: the clip is empty (0 samples)");
        return rate == SampleRate ? x : Resampler.Resample(x, rate, SampleRate);
    }

    /// <summary>
    /// How many samples <see cref="Load"/> returns for <paramref name="path"/>: from a WAV's header, without decoding it;
    /// other formats are decoded (ffmpeg gives no exact length otherwise). Errors as <see cref="Load"/>'s.
    /// </summary>
    public static long LoadedLength(string path)
    {
        if (!File.Exists(path) || !IsWav(path)) return Load(path).Length;
        var info = WavReader.ReadHeader(path);
        if (info.Frames == 0) throw new SpeechTokException($"{path}: the clip is empty (0 samples)");
        return Resampler.OutputLength(info.Frames, info.SampleRate, SampleRate);
    }

    /// <summary>
    /// Checks that a clip can be loaded without decoding it: a WAV's header and data size, or that ffmpeg can
    /// be started for other formats. Returns the WAV's frame count (0: an empty clip), or null for other formats.
    /// </summary>
    public static long? CheckReadable(string path)
    {
        if (!File.Exists(path)) throw new SpeechTokException($"{path}: " + (Directory.Exists(path) ? "is a folder, not an audio file" : "audio file does not exist"));
        if (IsWav(path)) return WavReader.ReadHeader(path).Frames;
        FFmpeg.RequireInstalled(path);
        return null;
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
