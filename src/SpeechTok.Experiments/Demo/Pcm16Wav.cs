using System.Buffers.Binary;

namespace SpeechTok.Experiments.Demo;

/// <summary>Just enough RIFF/WAVE (16-bit PCM) to read what sox writes and to write the demo's clips.</summary>
internal static class Pcm16Wav
{
    public static (short[] Samples, int SampleRate, int Channels) Read(string path)
    {
        if (!File.Exists(path)) throw new SpeechTokException($"{path}: the WAV file was not written");
        var b = File.ReadAllBytes(path);
        if (b.Length < 12 || b.AsSpan(0, 4).SequenceEqual("RIFF"u8) is false || b.AsSpan(8, 4).SequenceEqual("WAVE"u8) is false)
            throw new SpeechTokException($"{path}: not a RIFF/WAVE file");
        int rate = 0, channels = 0, bits = 0, pos = 12;
        while (pos + 8 <= b.Length)
        {
            var id = b.AsSpan(pos, 4);
            int size = BinaryPrimitives.ReadInt32LittleEndian(b.AsSpan(pos + 4));
            int body = pos + 8;
            if (size < 0 || body + size > b.Length) size = b.Length - body; // streamed headers may carry a bogus size
            if (id.SequenceEqual("fmt "u8) && size >= 16)
            {
                int format = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(body));
                channels = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(body + 2));
                rate = BinaryPrimitives.ReadInt32LittleEndian(b.AsSpan(body + 4));
                bits = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(body + 14));
                if (format != 1 || bits != 16) throw new SpeechTokException($"{path}: format {format} with {bits} bits, expected 16-bit PCM");
            }
            else if (id.SequenceEqual("data"u8))
            {
                if (channels == 0) throw new SpeechTokException($"{path}: 'data' chunk before 'fmt ' chunk");
                var samples = new short[size / 2];
                for (int i = 0; i < samples.Length; i++) samples[i] = BinaryPrimitives.ReadInt16LittleEndian(b.AsSpan(body + 2 * i));
                return (samples, rate, channels);
            }
            pos = body + size + (size & 1);
        }
        throw new SpeechTokException($"{path}: no 'data' chunk");
    }

    public static byte[] Encode(ReadOnlySpan<short> samples, int sampleRate)
    {
        var b = new byte[44 + 2 * samples.Length];
        "RIFF"u8.CopyTo(b);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(4), 36 + 2 * samples.Length);
        "WAVEfmt "u8.CopyTo(b.AsSpan(8));
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(16), 16);
        BinaryPrimitives.WriteInt16LittleEndian(b.AsSpan(20), 1);
        BinaryPrimitives.WriteInt16LittleEndian(b.AsSpan(22), 1);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(24), sampleRate);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(28), 2 * sampleRate);
        BinaryPrimitives.WriteInt16LittleEndian(b.AsSpan(32), 2);
        BinaryPrimitives.WriteInt16LittleEndian(b.AsSpan(34), 16);
        "data"u8.CopyTo(b.AsSpan(36));
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(40), 2 * samples.Length);
        for (int i = 0; i < samples.Length; i++) BinaryPrimitives.WriteInt16LittleEndian(b.AsSpan(44 + 2 * i), samples[i]);
        return b;
    }
}
