using System.Buffers.Binary;
using SpeechTok.Audio;

namespace SpeechTok.Tests.Audio;

public sealed class WavTests : IDisposable
{
    private readonly string _dir = Tool.TempDir("wav");

    public void Dispose() => Directory.Delete(_dir, true);

    private string P(string name) => Path.Combine(_dir, name);

    [Fact]
    public void EveryFormatSoxWritesDecodesToTheSameSamples()
    {
        // Two different mono tones merged into a stereo float64 master (exact), then converted by sox (no dither).
        Tool.Run("sox", "-n", "-r", "16000", "-b", "64", "-e", "floating-point", P("a.wav"), "synth", "0.3", "sine", "440", "gain", "-6");
        Tool.Run("sox", "-n", "-r", "16000", "-b", "64", "-e", "floating-point", P("b.wav"), "synth", "0.3", "sine", "1250", "gain", "-10");
        Tool.Run("sox", "-M", P("a.wav"), P("b.wav"), "-b", "64", "-e", "floating-point", P("master.wav"));
        var (a, rate) = WavReader.Read(P("a.wav"));
        var (b, _) = WavReader.Read(P("b.wav"));
        Assert.Equal(16000, rate);
        Assert.Equal(4800, a.Length);

        var formats = new (string Name, string[] Args, double Tol)[]
        {
            ("u8", ["-b", "8", "-e", "unsigned-integer"], 1.0 / 128),
            ("s16", ["-b", "16", "-e", "signed-integer"], 1.0 / 32768),
            ("s24", ["-b", "24", "-e", "signed-integer"], 1.0 / 8388608),
            ("s32", ["-b", "32", "-e", "signed-integer"], 1e-7),
            ("f32", ["-b", "32", "-e", "floating-point"], 1e-7),
            ("f64", ["-b", "64", "-e", "floating-point"], 1e-7),
        };
        foreach (var (name, args, tol) in formats)
        {
            var path = P($"{name}.wav");
            Tool.Run("sox", [P("master.wav"), .. args, "-D", path]);
            var info = WavReader.ReadHeader(path);
            Assert.Equal(2, info.Channels);
            var (ch0, r0) = WavReader.Read(path);
            var (mix, _) = WavReader.Read(path, mixdown: true);
            Assert.Equal(16000, r0);
            Assert.Equal(a.Length, ch0.Length);
            for (int i = 0; i < a.Length; i++)
            {
                Assert.True(Math.Abs(ch0[i] - a[i]) <= tol * 1.01, $"{name}: channel 0 sample {i}: {ch0[i]} vs {a[i]}");
                Assert.True(Math.Abs(mix[i] - (a[i] + b[i]) / 2) <= tol * 1.01, $"{name}: mixdown sample {i}: {mix[i]} vs {(a[i] + b[i]) / 2}");
            }
        }
    }

    /// <summary>Channel 0 of a 3-channel file, and with mixdown the average of all three (each channel a different signal, so
    /// an average of two, or a sum divided by 2, is far off).</summary>
    [Fact]
    public void ExtensibleMultichannelFileTakesChannelZeroOrTheAverageOfAll()
    {
        Tool.Run("sox", "-n", "-r", "8000", "-b", "16", P("t.wav"), "synth", "0.1", "sine", "300", "gain", "-3");
        Tool.Run("sox", "-n", "-r", "8000", "-b", "16", P("n.wav"), "synth", "0.1", "whitenoise", "gain", "-20");
        Tool.Run("sox", "-n", "-r", "8000", "-b", "16", P("u.wav"), "synth", "0.1", "sine", "1100", "gain", "-9");
        Tool.Run("sox", "-M", P("t.wav"), P("n.wav"), P("u.wav"), "-b", "24", P("three.wav")); // >2 channels, 24-bit: sox writes WAVE_FORMAT_EXTENSIBLE
        var bytes = File.ReadAllBytes(P("three.wav"));
        Assert.Equal(0xFFFE, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(20)));
        Assert.Equal(3, WavReader.ReadHeader(P("three.wav")).Channels);
        var (t, _) = WavReader.Read(P("t.wav"));
        var (n, _) = WavReader.Read(P("n.wav"));
        var (u, _) = WavReader.Read(P("u.wav"));
        var (x, rate) = WavReader.Read(P("three.wav"));
        Assert.Equal(8000, rate);
        Assert.Equal(t.Length, x.Length);
        for (int i = 0; i < t.Length; i++) Assert.Equal(t[i], x[i], 1e-6f);
        // The 16-bit samples are exact in 24 bits; the float sum of three values below 1 in magnitude and its product by
        // (float)(1/3) are off by less than 4·2⁻²⁴ ≈ 2.4e-7 in all, so 1e-6 covers them.
        var (mix, _) = WavReader.Read(P("three.wav"), mixdown: true);
        Assert.Equal(t.Length, mix.Length);
        for (int i = 0; i < t.Length; i++)
            Assert.True(Math.Abs(mix[i] - ((double)t[i] + n[i] + u[i]) / 3) <= 1e-6, $"mixdown sample {i}: {mix[i]} vs ({t[i]} + {n[i]} + {u[i]}) / 3");
    }

    [Fact]
    public void WriterRoundTripsAndSoxAgrees()
    {
        var x = Tool.Sine(523.25, 0.25, 16000, 0.7);
        WavWriter.Write(P("w16.wav"), x, 16000);
        WavWriter.Write(P("wf.wav"), x, 16000, asFloat: true);
        var (y16, _) = WavReader.Read(P("w16.wav"));
        var (yf, _) = WavReader.Read(P("wf.wav"));
        for (int i = 0; i < x.Length; i++)
        {
            Assert.True(Math.Abs(y16[i] - x[i]) <= 0.5 / 32768 + 1e-7);
            Assert.Equal(x[i], yf[i]);
        }
        // sox reads our file and writes back the same 16-bit samples
        Tool.Run("sox", P("w16.wav"), P("back.wav"));
        Assert.Equal(y16, WavReader.Read(P("back.wav")).Samples);
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp*"));
    }

    [Fact]
    public void UnknownChunksWithOddPaddingAreSkipped()
    {
        var pcm = new short[] { 0, 16384, -16384, 32767, -32768 };
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, System.Text.Encoding.ASCII, leaveOpen: true))
        {
            w.Write("RIFF"u8); w.Write(0); w.Write("WAVE"u8);
            w.Write("junk"u8); w.Write(3); w.Write(new byte[] { 1, 2, 3, 0 }); // odd size + pad byte
            w.Write("fmt "u8); w.Write(16); w.Write((short)1); w.Write((short)1); w.Write(22050); w.Write(44100); w.Write((short)2); w.Write((short)16);
            w.Write("LIST"u8); w.Write(5); w.Write("INFOx"u8); w.Write((byte)0);
            w.Write("data"u8); w.Write(pcm.Length * 2); foreach (var s in pcm) w.Write(s);
        }
        var bytes = ms.ToArray();
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4), bytes.Length - 8);
        File.WriteAllBytes(P("odd.wav"), bytes);
        var (x, rate) = WavReader.Read(P("odd.wav"));
        Assert.Equal(22050, rate);
        Assert.Equal(new[] { 0f, 0.5f, -0.5f, 32767 / 32768f, -1f }, x);
    }

    /// <summary>+Inf in a float WAV crashed the codec without naming the file; NaN was encoded as if it were audio.</summary>
    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void A_float_wav_with_a_sample_that_is_not_a_number_is_refused_naming_it(float bad)
    {
        var data = new byte[12];
        BinaryPrimitives.WriteSingleLittleEndian(data, 0.1f);
        BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(4), bad);
        BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(8), 0.2f);
        File.WriteAllBytes(P("bad.wav"), SpeechTok.Tests.Fuzz.WavFuzzTests.Wav(3, 1, 16000, 32, data));
        var e = Assert.Throws<SpeechTokException>(() => AudioLoader.Load(P("bad.wav")));
        Assert.StartsWith($"{P("bad.wav")}: sample 1 of channel 0 is {bad}", e.Message);
    }

    /// <summary>A data chunk of size 0 followed by another chunk was read as a streamed WAV, its samples made of the LIST bytes;
    /// it is an empty clip (torchaudio: 0 samples). A 0 followed by raw samples is still a streamed WAV.</summary>
    [Fact]
    public void A_zero_size_data_chunk_is_streamed_audio_only_when_no_chunk_follows()
    {
        var list = new byte[8 + 14];
        "LIST"u8.CopyTo(list);
        BinaryPrimitives.WriteUInt32LittleEndian(list.AsSpan(4), 14);
        "INFOISFT"u8.CopyTo(list.AsSpan(8));
        File.WriteAllBytes(P("empty.wav"), SpeechTok.Tests.Fuzz.WavFuzzTests.Wav(1, 1, 16000, 16, list, dataSize: 0));
        Assert.Equal(0, WavReader.ReadHeader(P("empty.wav")).Frames);
        Assert.Contains("the clip is empty (0 samples)", Assert.Throws<SpeechTokException>(() => AudioLoader.Load(P("empty.wav"))).Message);

        var samples = new byte[20];
        for (int i = 0; i < 10; i++) BinaryPrimitives.WriteInt16LittleEndian(samples.AsSpan(2 * i), (short)(1000 * i - 4000));
        File.WriteAllBytes(P("streamed.wav"), SpeechTok.Tests.Fuzz.WavFuzzTests.Wav(1, 1, 16000, 16, samples, dataSize: 0));
        Assert.Equal(10, WavReader.ReadHeader(P("streamed.wav")).Frames);
    }

    [Fact]
    public void DefectsAreNamedWithTheFile()
    {
        WavWriter.Write(P("ok.wav"), Tool.Sine(440, 0.1, 16000), 16000);
        var ok = File.ReadAllBytes(P("ok.wav"));

        File.WriteAllBytes(P("trunc.wav"), ok[..(ok.Length - 101)]);
        var e = Assert.Throws<SpeechTokException>(() => WavReader.Read(P("trunc.wav")));
        Assert.Contains(P("trunc.wav"), e.Message);
        Assert.Contains("truncated", e.Message);

        File.WriteAllBytes(P("hdr.wav"), ok[..30]);
        e = Assert.Throws<SpeechTokException>(() => WavReader.ReadHeader(P("hdr.wav")));
        Assert.Contains("truncated", e.Message);

        File.WriteAllBytes(P("tiny.wav"), ok[..5]);
        Assert.Contains("shorter than", Assert.Throws<SpeechTokException>(() => WavReader.Read(P("tiny.wav"))).Message);

        File.WriteAllText(P("text.wav"), "this is not audio at all, just text");
        e = Assert.Throws<SpeechTokException>(() => AudioLoader.Load(P("text.wav")));
        Assert.Contains("not a RIFF/WAVE", e.Message);
        Assert.Contains(P("text.wav"), e.Message);

        var alaw = (byte[])ok.Clone();
        BinaryPrimitives.WriteUInt16LittleEndian(alaw.AsSpan(20), 6);
        File.WriteAllBytes(P("alaw.wav"), alaw);
        Assert.Contains("format tag 0x0006", Assert.Throws<SpeechTokException>(() => WavReader.Read(P("alaw.wav"))).Message);

        var odd = (byte[])ok.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(odd.AsSpan(40), (uint)(ok.Length - 44 - 1));
        File.WriteAllBytes(P("partial.wav"), odd);
        Assert.Contains("not a whole number", Assert.Throws<SpeechTokException>(() => WavReader.Read(P("partial.wav"))).Message);
    }
}
