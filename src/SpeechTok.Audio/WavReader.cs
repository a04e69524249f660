using System.Buffers.Binary;

namespace SpeechTok.Audio;

/// <summary>
/// RIFF/WAVE reader: PCM 8 (unsigned)/16/24/32-bit and IEEE float 32/64, plain or WAVE_FORMAT_EXTENSIBLE,
/// any channel count. Integer PCM is scaled to [-1, 1) by 2^(bits-1) as torchaudio does. Unknown chunks
/// are skipped (with RIFF's odd-size pad byte). Any defect is a <see cref="SpeechTokException"/> naming the
/// file and the defect.
/// </summary>
public static class WavReader
{
    private const ushort FormatPcm = 1, FormatFloat = 3, FormatExtensible = 0xFFFE;

    /// <summary>Plausible audio rates: below 1 kHz or above 1 MHz a header is corrupt (and resampling it to 16 kHz would explode or vanish).</summary>
    public const int MinSampleRate = 1000, MaxSampleRate = 1_000_000;

    /// <summary>Parses and validates the header only (the data chunk must be complete).</summary>
    public static WavInfo ReadHeader(string path)
    {
        using var fs = Open(path);
        return ParseHeader(fs, path);
    }

    /// <summary>The samples of channel 0 (the original's choice), or the average of all channels when <paramref name="mixdown"/>.</summary>
    public static (float[] Samples, int SampleRate) Read(string path, bool mixdown = false)
    {
        using var fs = Open(path);
        return Read(fs, path, mixdown);
    }

    /// <summary>Reads a WAV from a seekable stream; <paramref name="name"/> names it in errors.</summary>
    internal static (float[] Samples, int SampleRate) Read(Stream fs, string name, bool mixdown)
    {
        var info = ParseHeader(fs, name);
        int bytesPer = info.BitsPerSample / 8, block = bytesPer * info.Channels;
        long total = info.Frames * block;
        if (total > int.MaxValue) throw new SpeechTokException($"{name}: data chunk of {total} bytes is too large to load at once");
        var raw = new byte[total];
        fs.Position = info.DataOffset;
        fs.ReadExactly(raw);
        var outp = new float[info.Frames];
        int chans = mixdown ? info.Channels : 1;
        float inv = 1f / chans;
        for (long f = 0; f < info.Frames; f++)
        {
            float acc = 0;
            for (int c = 0; c < chans; c++)
            {
                float v = Decode(raw.AsSpan((int)(f * block + c * bytesPer), bytesPer), info);
                if (!float.IsFinite(v)) // only float WAVs can hold these; the codec would fail on them without naming the file
                    throw new SpeechTokException($"{name}: sample {f} of channel {c} is {v} (not a number): the float WAV is corrupt");
                acc += v;
            }
            outp[f] = acc * inv;
        }
        return (outp, info.SampleRate);
    }

    private static float Decode(ReadOnlySpan<byte> b, WavInfo info)
    {
        if (info.Encoding == WavEncoding.Float)
            return info.BitsPerSample == 32 ? BinaryPrimitives.ReadSingleLittleEndian(b) : (float)BinaryPrimitives.ReadDoubleLittleEndian(b);
        return info.BitsPerSample switch
        {
            8 => (b[0] - 128) / 128f,
            16 => BinaryPrimitives.ReadInt16LittleEndian(b) / 32768f,
            24 => ((b[0] | b[1] << 8 | b[2] << 16) << 8 >> 8) / 8388608f,
            _ => (float)(BinaryPrimitives.ReadInt32LittleEndian(b) / 2147483648.0),
        };
    }

    private static FileStream Open(string path)
    {
        try { return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SpeechTokException($"{path}: cannot open WAV file ({e.Message})", e);
        }
    }

    private static WavInfo ParseHeader(Stream fs, string path)
    {
        long length = fs.Length;
        Span<byte> h = stackalloc byte[12];
        if (fs.Read(h) < 12) throw new SpeechTokException($"{path}: not a WAV file (shorter than the 12-byte RIFF header)");
        if (!h[..4].SequenceEqual("RIFF"u8) || !h[8..12].SequenceEqual("WAVE"u8))
            throw new SpeechTokException($"{path}: not a RIFF/WAVE file (magic '{Printable(h[..4])}'/'{Printable(h[8..12])}')");

        int channels = 0, rate = 0, bits = 0;
        WavEncoding enc = WavEncoding.Pcm;
        bool haveFmt = false;
        Span<byte> ch = stackalloc byte[8];
        long pos = 12;
        while (true)
        {
            fs.Position = pos;
            int got = fs.Read(ch);
            if (got < 8)
                throw new SpeechTokException(haveFmt ? $"{path}: truncated: no 'data' chunk before the end of the file" : $"{path}: truncated: no 'fmt ' chunk before the end of the file");
            uint size = BinaryPrimitives.ReadUInt32LittleEndian(ch[4..]);
            var id = ch[..4];
            long body = pos + 8;
            if (id.SequenceEqual("fmt "u8))
            {
                if (size < 16) throw new SpeechTokException($"{path}: 'fmt ' chunk is {size} bytes, expected at least 16");
                if (body + size > length) throw new SpeechTokException($"{path}: truncated inside the 'fmt ' chunk");
                var f = new byte[Math.Min(size, 40u)];
                fs.ReadExactly(f);
                ushort tag = BinaryPrimitives.ReadUInt16LittleEndian(f);
                channels = BinaryPrimitives.ReadUInt16LittleEndian(f.AsSpan(2));
                rate = BinaryPrimitives.ReadInt32LittleEndian(f.AsSpan(4));
                bits = BinaryPrimitives.ReadUInt16LittleEndian(f.AsSpan(14));
                if (tag == FormatExtensible)
                {
                    if (size < 40) throw new SpeechTokException($"{path}: WAVE_FORMAT_EXTENSIBLE 'fmt ' chunk is {size} bytes, expected 40");
                    tag = BinaryPrimitives.ReadUInt16LittleEndian(f.AsSpan(24)); // first two bytes of the SubFormat GUID
                }
                enc = tag switch
                {
                    FormatPcm => WavEncoding.Pcm,
                    FormatFloat => WavEncoding.Float,
                    _ => throw new SpeechTokException($"{path}: unsupported WAV format tag 0x{tag:X4} (PCM and IEEE float are supported; convert with ffmpeg)"),
                };
                if (channels < 1) throw new SpeechTokException($"{path}: 'fmt ' chunk declares {channels} channels");
                if (rate < MinSampleRate || rate > MaxSampleRate)
                    throw new SpeechTokException($"{path}: 'fmt ' chunk declares sample rate {rate} Hz; {MinSampleRate}–{MaxSampleRate} Hz is supported");
                bool okBits = enc == WavEncoding.Pcm ? bits is 8 or 16 or 24 or 32 : bits is 32 or 64;
                if (!okBits) throw new SpeechTokException($"{path}: unsupported {bits}-bit {(enc == WavEncoding.Pcm ? "PCM" : "float")} samples");
                haveFmt = true;
            }
            else if (id.SequenceEqual("data"u8))
            {
                if (!haveFmt) throw new SpeechTokException($"{path}: 'data' chunk comes before the 'fmt ' chunk");
                int block = bits / 8 * channels;
                long avail = length - body;
                // 0xFFFFFFFF (and 0 with bytes following) is what streaming writers leave when they cannot seek back; a 0 followed
                // by another chunk (LIST, say) is an empty clip, as torchaudio reads it.
                long bytes = size == uint.MaxValue || (size == 0 && avail > 0 && !ChunkAt(fs, body, length)) ? avail - avail % block : size;
                if (bytes > avail)
                    throw new SpeechTokException($"{path}: truncated: the 'data' chunk declares {bytes} bytes but only {avail} remain");
                if (bytes % block != 0)
                    throw new SpeechTokException($"{path}: corrupt: the 'data' chunk of {bytes} bytes is not a whole number of {block}-byte frames");
                return new WavInfo(rate, channels, bits, enc, body, bytes / block);
            }
            pos = body + size + (size & 1);
        }
    }

    /// <summary>Whether a chunk header (four ASCII id characters, a size that fits in the file) starts at <paramref name="pos"/>.</summary>
    private static bool ChunkAt(Stream fs, long pos, long length)
    {
        if (length - pos < 8) return false;
        Span<byte> c = stackalloc byte[8];
        fs.Position = pos;
        fs.ReadExactly(c);
        foreach (byte b in c[..4]) if (b is < 32 or >= 127) return false;
        return pos + 8 + BinaryPrimitives.ReadUInt32LittleEndian(c[4..]) <= length;
    }

    private static string Printable(ReadOnlySpan<byte> b)
    {
        var c = new char[b.Length];
        for (int i = 0; i < b.Length; i++) c[i] = b[i] is >= 32 and < 127 ? (char)b[i] : '?';
        return new string(c);
    }
}
