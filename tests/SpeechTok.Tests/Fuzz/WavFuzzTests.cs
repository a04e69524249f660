using System.Buffers.Binary;
using SpeechTok.Audio;
using Xunit.Abstractions;

namespace SpeechTok.Tests.Fuzz;

/// <summary>WAV files: mutated headers, chunk sizes and fmt fields, then loaded and resampled to 16 kHz as a clip is.</summary>
public sealed class WavFuzzTests(ITestOutputHelper output, FuzzLog log) : IClassFixture<FuzzLog>
{
    /// <summary>A RIFF/WAVE file: fmt (16 or 40 bytes), optional extra chunks before data, data (size field as given).</summary>
    internal static byte[] Wav(ushort tag, int channels, int rate, int bits, byte[] data, bool extensible = false, uint? dataSize = null, params (string Id, byte[] Body)[] extra)
    {
        var m = new MemoryStream();
        void U16(int v) { Span<byte> b = stackalloc byte[2]; BinaryPrimitives.WriteUInt16LittleEndian(b, (ushort)v); m.Write(b); }
        void U32(uint v) { Span<byte> b = stackalloc byte[4]; BinaryPrimitives.WriteUInt32LittleEndian(b, v); m.Write(b); }
        void Chunk(string id, byte[] body)
        {
            m.Write(System.Text.Encoding.ASCII.GetBytes(id));
            U32((uint)body.Length);
            m.Write(body);
            if (body.Length % 2 == 1) m.WriteByte(0);
        }
        m.Write("RIFF"u8); U32(0); m.Write("WAVE"u8);
        m.Write("fmt "u8); U32(extensible ? 40u : 16u);
        U16(extensible ? 0xFFFE : tag); U16(channels); U32((uint)rate); U32((uint)(rate * channels * bits / 8)); U16(channels * bits / 8); U16(bits);
        if (extensible)
        {
            U16(22); U16(bits); U32(3); U16(tag);
            m.Write(new byte[] { 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71 });
        }
        foreach (var (id, body) in extra) Chunk(id, body);
        m.Write("data"u8); U32(dataSize ?? (uint)data.Length); m.Write(data);
        var bytes = m.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), (uint)(bytes.Length - 8));
        return bytes;
    }

    private static byte[] Noise(int n, int seed)
    {
        var b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }

    internal static readonly byte[][] Seeds =
    [
        Wav(1, 1, 16000, 16, Noise(200, 1)),
        Wav(1, 2, 22050, 24, Noise(6 * 40, 2), extra: [("LIST", Noise(13, 3)), ("junk", Noise(4, 4))]),
        Wav(3, 1, 44100, 32, Noise(4 * 60, 5), extensible: true),
        Wav(1, 3, 8000, 8, Noise(3 * 50, 6), dataSize: uint.MaxValue),
        Wav(3, 2, 48000, 64, Noise(16 * 20, 7)),
        Wav(1, 1, 16000, 16, [], dataSize: 0),
    ];

    /// <summary>Offsets of the header fields of a seed without extra chunks: RIFF size, fmt size, tag, channels, rate, byte rate, block align, bits.</summary>
    private static readonly (int Offset, int Width)[] Fields = [(4, 4), (16, 4), (20, 2), (22, 2), (24, 4), (28, 4), (32, 2), (34, 2), (40, 4)];

    [Fact]
    public void MutatedWavFilesFailOnlyWithANamedError()
    {
        Fuzzer.Run(line => log.Report(output, line), "wav", seed: 1301, (m, i) =>
        {
            var b = (byte[])m.Pick(Seeds).Clone();
            if (m.Chance(0.5)) foreach (var _ in Enumerable.Range(0, 1 + m.Next(2))) { var (o, w) = m.Pick(Fields); m.CorruptField(b, o, w); }
            if (m.Chance(0.6)) b = m.Bytes(b);
            return new() { [i % 2 == 0 ? "clip.wav" : "clip.WAV"] = b };
        }, dir =>
        {
            var path = Directory.GetFiles(dir)[0];
            var x = AudioLoader.Load(path, mixdown: path.EndsWith(".WAV", StringComparison.Ordinal));
            Assert.True(x.Length > 0);
        }).RequireShares(accepted: 0.15, rejected: 0.30); // this seed: 37.3 % accepted, 62.7 % rejected
    }
}
