using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace SpeechTok.Codec.Store;

/// <summary>
/// Which recordings a sample's codes were made from. <see cref="Content"/> hashes the clips' bytes, so it
/// survives copying or moving a dataset; <see cref="Stamp"/> hashes each clip's absolute path, size and
/// modification time, so an unchanged file is recognised without reading it; <see cref="Names"/> hashes the
/// clips' file names, all that can be checked where the clips are absent.
/// </summary>
public readonly record struct SampleSource(ulong Content, ulong Stamp, ulong Names)
{
    /// <summary>The source of <paramref name="clips"/> as they are now (reads them all).</summary>
    public static SampleSource Of(IReadOnlyList<string> clips)
    {
        ulong stamp = StampOf(clips); // before the content: a clip rewritten meanwhile then differs on the next run
        return new SampleSource(ContentOf(clips), stamp, NamesOf(clips));
    }

    /// <summary>SHA-256[0..8] of the clips' file names (without folders), in order.</summary>
    public static ulong NamesOf(IReadOnlyList<string> clips) =>
        Hash64(Encoding.UTF8.GetBytes(string.Join('\0', clips.Select(Path.GetFileName))));

    /// <summary>SHA-256[0..8] of each clip's absolute path, size and modification time (UTC ticks), in order; reads no audio.</summary>
    public static ulong StampOf(IReadOnlyList<string> clips)
    {
        var sb = new StringBuilder();
        foreach (var p in clips)
        {
            var fi = new FileInfo(p);
            sb.Append(p).Append('\0').Append(fi.Exists ? fi.Length : -1).Append('\0').Append(fi.Exists ? fi.LastWriteTimeUtc.Ticks : 0).Append('\n');
        }
        return Hash64(Encoding.UTF8.GetBytes(sb.ToString()));
    }

    /// <summary>SHA-256[0..8] of the clips' SHA-256 digests, in order: the same bytes give the same value wherever they lie.</summary>
    /// <exception cref="SpeechTokException">A clip cannot be read (names the file).</exception>
    public static ulong ContentOf(IReadOnlyList<string> clips)
    {
        var digests = new byte[32 * clips.Count];
        for (int i = 0; i < clips.Count; i++) Sha256Of(clips[i], digests.AsSpan(32 * i, 32));
        return Hash64(digests);
    }

    /// <summary>SHA-256 of one clip's bytes, into <paramref name="digest"/> (32 bytes).</summary>
    /// <exception cref="SpeechTokException">The clip cannot be read (names the file).</exception>
    public static void Sha256Of(string clip, Span<byte> digest)
    {
        try
        {
            using var f = new FileStream(clip, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
            SHA256.HashData(f, digest);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SpeechTokException($"{clip}: cannot read the clip ({e.Message})", e);
        }
    }

    internal static ulong Hash64(ReadOnlySpan<byte> data)
    {
        Span<byte> h = stackalloc byte[32];
        SHA256.HashData(data, h);
        return BinaryPrimitives.ReadUInt64LittleEndian(h);
    }
}
