using SpeechTok.IO;
using System.Buffers.Binary;

namespace SpeechTok.Audio;

/// <summary>Mono WAV writer (16-bit PCM with clipping, or 32-bit float); written atomically.</summary>
public static class WavWriter
{
    public static void Write(string path, ReadOnlySpan<float> samples, int sampleRate, bool asFloat = false)
    {
        int bytesPer = asFloat ? 4 : 2;
        long dataBytes = (long)samples.Length * bytesPer;
        if (dataBytes + 36 > uint.MaxValue) throw new SpeechTokException($"{path}: {samples.Length} samples do not fit a RIFF file");
        var buf = new byte[44 + dataBytes];
        var s = buf.AsSpan();
        "RIFF"u8.CopyTo(s);
        BinaryPrimitives.WriteUInt32LittleEndian(s[4..], (uint)(36 + dataBytes));
        "WAVEfmt "u8.CopyTo(s[8..]);
        BinaryPrimitives.WriteUInt32LittleEndian(s[16..], 16);
        BinaryPrimitives.WriteUInt16LittleEndian(s[20..], (ushort)(asFloat ? 3 : 1));
        BinaryPrimitives.WriteUInt16LittleEndian(s[22..], 1);
        BinaryPrimitives.WriteInt32LittleEndian(s[24..], sampleRate);
        BinaryPrimitives.WriteInt32LittleEndian(s[28..], sampleRate * bytesPer);
        BinaryPrimitives.WriteUInt16LittleEndian(s[32..], (ushort)bytesPer);
        BinaryPrimitives.WriteUInt16LittleEndian(s[34..], (ushort)(bytesPer * 8));
        "data"u8.CopyTo(s[36..]);
        BinaryPrimitives.WriteUInt32LittleEndian(s[40..], (uint)dataBytes);
        var d = s[44..];
        for (int i = 0; i < samples.Length; i++)
        {
            if (asFloat) BinaryPrimitives.WriteSingleLittleEndian(d[(i * 4)..], samples[i]);
            else BinaryPrimitives.WriteInt16LittleEndian(d[(i * 2)..], (short)Math.Clamp(MathF.Round(samples[i] * 32768f), -32768f, 32767f));
        }
        AtomicFile.WriteAllBytes(path, buf);
    }
}
