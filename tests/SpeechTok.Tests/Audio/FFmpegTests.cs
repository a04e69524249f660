using SpeechTok.Audio;

namespace SpeechTok.Tests.Audio;

public sealed class FFmpegTests : IDisposable
{
    private readonly string _dir = Tool.TempDir("ffmpeg");

    public void Dispose() => Directory.Delete(_dir, true);

    /// <summary>A relative name with a colon went to ffmpeg as a URL ("a:b.flac": protocol "a"; "pipe:0.flac" would read stdin).</summary>
    [Fact]
    public void A_file_name_with_a_colon_is_read_as_the_file()
    {
        var wav = Path.Combine(_dir, "c.wav");
        WavWriter.Write(wav, Tool.Sine(440, 0.2, 16000, 0.3), 16000);
        Tool.Run("ffmpeg", "-v", "error", "-y", "-i", wav, Path.Combine(_dir, "pipe:0.flac"));
        string keep = Environment.CurrentDirectory;
        try
        {
            Environment.CurrentDirectory = _dir;
            Assert.Equal(AudioLoader.Load(wav), AudioLoader.Load("pipe:0.flac"));
        }
        finally { Environment.CurrentDirectory = keep; }
    }

    [Fact]
    public void DecodesFlacExactlyAndMp3Approximately()
    {
        var wav = Path.Combine(_dir, "a.wav");
        var mix = new float[16000];
        var s1 = Tool.Sine(330, 1.0, 16000, 0.3);
        var s2 = Tool.Sine(1700, 1.0, 16000, 0.2);
        for (int i = 0; i < mix.Length; i++) mix[i] = s1[i] + s2[i];
        WavWriter.Write(wav, mix, 16000);
        var flac = Path.Combine(_dir, "a.flac");
        var mp3 = Path.Combine(_dir, "a.mp3");
        Tool.Run("ffmpeg", "-v", "error", "-y", "-i", wav, flac);
        Tool.Run("ffmpeg", "-v", "error", "-y", "-i", wav, "-b:a", "128k", mp3);

        var x = AudioLoader.Load(wav);
        var f = AudioLoader.Load(flac);
        Assert.Equal(x.Length, f.Length);
        for (int i = 0; i < x.Length; i++) Assert.Equal(x[i], f[i], 1e-6f);

        var m = AudioLoader.Load(mp3);
        Assert.InRange(m.Length, x.Length, x.Length + 2400); // mp3 adds encoder delay/padding
        double rmsX = Math.Sqrt(x.Average(v => (double)v * v)), rmsM = Math.Sqrt(m.Average(v => (double)v * v));
        Assert.InRange(rmsM / rmsX, 0.9, 1.1);
    }

    /// <summary>
    /// <see cref="AudioLoader.LoadedLength"/> (mosei checks every segment against it before cutting) had no test: it must be
    /// the length <see cref="AudioLoader.Load"/> returns, from a WAV's header (here 44.1 kHz, 13,237 frames: 4802.54 samples
    /// at 16 kHz, rounded up) and by decoding a flac.
    /// </summary>
    [Fact]
    public void LoadedLengthIsTheLengthLoadReturns()
    {
        var wav = Path.Combine(_dir, "cd.wav");
        var flac = Path.Combine(_dir, "cd.flac");
        WavWriter.Write(wav, Tool.Sine(440, 13237 / 44100.0 + 1e-9, 44100, 0.4), 44100);
        Assert.Equal(13237, WavReader.ReadHeader(wav).Frames);
        Tool.Run("sox", wav, flac);
        foreach (var path in new[] { wav, flac })
        {
            int loaded = AudioLoader.Load(path).Length;
            Assert.Equal(4803, loaded);
            Assert.Equal(loaded, AudioLoader.LoadedLength(path));
        }
    }

    [Fact]
    public void StereoOtherContainerTakesChannelZeroOrMixdown()
    {
        var wav0 = Path.Combine(_dir, "l.wav");
        var wav1 = Path.Combine(_dir, "r.wav");
        WavWriter.Write(wav0, Tool.Sine(500, 0.5, 16000, 0.4), 16000);
        WavWriter.Write(wav1, new float[8000], 16000);
        var st = Path.Combine(_dir, "st.flac");
        Tool.Run("ffmpeg", "-v", "error", "-y", "-i", wav0, "-i", wav1, "-filter_complex", "[0:a][1:a]amerge=inputs=2", st);
        var ch0 = AudioLoader.Load(st);
        var mix = AudioLoader.Load(st, mixdown: true);
        var l = WavReader.Read(wav0).Samples;
        for (int i = 100; i < l.Length - 100; i++)
        {
            Assert.Equal(l[i], ch0[i], 1e-4f);
            Assert.Equal(l[i] / 2, mix[i], 1e-3f);
        }
    }

    [Fact]
    public void MissingProgramIsNamedWithTheFile()
    {
        var mp3 = Path.Combine(_dir, "x.mp3");
        File.WriteAllBytes(mp3, [1, 2, 3, 4]);
        var saved = FFmpeg.Program;
        try
        {
            FFmpeg.Program = "ffmpeg-not-installed-here";
            var e = Assert.Throws<SpeechTokException>(() => AudioLoader.Load(mp3));
            Assert.Contains(mp3, e.Message);
            Assert.Contains("'ffmpeg-not-installed-here'", e.Message);
            Assert.Throws<SpeechTokException>(() => AudioLoader.CheckReadable(mp3));
        }
        finally { FFmpeg.Program = saved; }
        // with ffmpeg present, an undecodable file is a clear error too
        Assert.Contains(mp3, Assert.Throws<SpeechTokException>(() => AudioLoader.Load(mp3)).Message);
    }
}
