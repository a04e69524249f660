using SpeechTok.IO;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SpeechTok.Codec.Store;

/// <summary>
/// Append-only store of RVQ codes, one record per sample (format: docs/codes.md). <c>store.json</c> names
/// the format version and the tokenizer identity; <c>codes.bin</c> holds self-describing records
/// (key, layers, frames, source checksum, uint16 codes, record checksum). The index (key → record) is
/// rebuilt by reading the record headers. Records are only ever appended and flushed to disk one by one,
/// so a crash can only leave a torn last record, which is detected (length or checksum) and cut off
/// before the next append.
/// </summary>
public sealed class CodeStore : IDisposable
{
    public const string Format = "speechtok-codes";
    public const int FormatVersion = 1;
    public const string MetaFile = "store.json", DataFile = "codes.bin";
    private static ReadOnlySpan<byte> Magic => "STC1"u8;
    private const int FixedHeader = 4 + 4 + 2; // magic, record length, key length

    /// <summary>Where one sample's record lies in codes.bin and what it holds; its codes start <see cref="CodesAt"/> bytes into it.</summary>
    private readonly record struct RecordRef(long Offset, int Length, int Layers, int Frames, ulong SourceHash, int CodesAt);

    private readonly Dictionary<string, RecordRef> _index = new(StringComparer.Ordinal);
    private readonly FileStream _data;
    private readonly string _dataPath;
    private readonly object _lock = new();

    public string Directory { get; }
    public string TokenizerIdentity { get; }
    public int NumQuantizers { get; }
    public int CodebookSize { get; }
    /// <summary>Bytes of a torn final record found on open (cut off when opened for writing).</summary>
    public long TornTailBytes { get; }
    public bool Writable { get; }
    /// <summary>Complete records whose checksum failed (skipped; their samples count as not done).</summary>
    public int DamagedRecords { get; private set; }

    public IReadOnlyCollection<string> Keys
    {
        get { lock (_lock) return _index.Keys.ToList(); }
    }

    private CodeStore(string dir, string identity, int nq, int k, bool writable)
    {
        Directory = dir;
        TokenizerIdentity = identity;
        NumQuantizers = nq;
        CodebookSize = k;
        Writable = writable;
        _dataPath = Path.Combine(dir, DataFile);
        try
        {
            _data = writable
                ? new FileStream(_dataPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read)
                : new FileStream(_dataPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SpeechTokException($"{_dataPath}: cannot open the code store ({e.Message})", e);
        }
        long good = Scan();
        TornTailBytes = _data.Length - good;
        if (writable && TornTailBytes > 0)
        {
            _data.SetLength(good);
            _data.Flush(flushToDisk: true);
        }
    }

    /// <summary>Opens an existing store for reading.</summary>
    public static CodeStore Open(string dir)
    {
        dir = Path.GetFullPath(dir);
        var (identity, nq, k) = ReadMeta(dir);
        if (!File.Exists(Path.Combine(dir, DataFile))) throw new SpeechTokException($"{Path.Combine(dir, DataFile)}: missing (the code store is incomplete)");
        return new CodeStore(dir, identity, nq, k, writable: false);
    }

    /// <summary>Opens a store for appending, creating it when absent; a store made by another tokenizer is an error.</summary>
    public static CodeStore OpenOrCreate(string dir, string tokenizerIdentity, int numQuantizers, int codebookSize)
    {
        dir = Path.GetFullPath(dir);
        if (codebookSize > 65536) throw new SpeechTokException($"codebook size {codebookSize} does not fit the store's uint16 codes");
        if (File.Exists(Path.Combine(dir, MetaFile)))
        {
            var (identity, nq, k) = ReadMeta(dir);
            if (identity != tokenizerIdentity)
                throw new SpeechTokException($"{Path.Combine(dir, MetaFile)}: this store holds codes of tokenizer {identity}, not {tokenizerIdentity}; use another --out folder (codes of two tokenizers are never mixed)");
            if (nq != numQuantizers || k != codebookSize)
                throw new SpeechTokException($"{Path.Combine(dir, MetaFile)}: store has {nq} layers × {k} codes, the tokenizer {numQuantizers} × {codebookSize}");
        }
        else
        {
            var meta = new JsonObject
            {
                ["format"] = Format,
                ["format_version"] = FormatVersion,
                ["tokenizer"] = tokenizerIdentity,
                ["num_quantizers"] = numQuantizers,
                ["codebook_size"] = codebookSize,
                ["data_file"] = DataFile,
            };
            AtomicFile.WriteAllText(Path.Combine(dir, MetaFile), meta.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        }
        return new CodeStore(dir, tokenizerIdentity, numQuantizers, codebookSize, writable: true);
    }

    /// <summary>Fails unless the store was written by the tokenizer with this identity.</summary>
    public void RequireTokenizer(string identity)
    {
        if (identity != TokenizerIdentity)
            throw new SpeechTokException($"{Path.Combine(Directory, MetaFile)}: codes are from tokenizer {TokenizerIdentity}, expected {identity}");
    }

    private static (string Identity, int Nq, int K) ReadMeta(string dir)
    {
        var path = Path.Combine(dir, MetaFile);
        if (!File.Exists(path)) throw new SpeechTokException($"{path}: missing; '{dir}' is not a code store (create one with `speechtok tokenize`)");
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            var r = doc.RootElement;
            if (r.GetProperty("format").GetString() != Format) throw new SpeechTokException($"{path}: 'format' is not '{Format}'");
            int v = r.GetProperty("format_version").GetInt32();
            if (v != FormatVersion) throw new SpeechTokException($"{path}: format_version {v} is not supported (this build reads {FormatVersion})");
            return (r.GetProperty("tokenizer").GetString() ?? throw new SpeechTokException($"{path}: 'tokenizer' is null"),
                r.GetProperty("num_quantizers").GetInt32(), r.GetProperty("codebook_size").GetInt32());
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new SpeechTokException($"{path}: malformed code store metadata ({e.Message})", e);
        }
    }

    /// <summary>Reads every record header; returns the end of the last complete record.</summary>
    private long Scan()
    {
        long pos = 0, len = _data.Length;
        var head = new byte[FixedHeader];
        while (pos < len)
        {
            if (len - pos < FixedHeader) break;
            _data.Position = pos;
            _data.ReadExactly(head);
            if (!head.AsSpan(0, 4).SequenceEqual(Magic)) break;
            int recLen = BinaryPrimitives.ReadInt32LittleEndian(head.AsSpan(4));
            int keyLen = BinaryPrimitives.ReadUInt16LittleEndian(head.AsSpan(8));
            if (recLen < FixedHeader + keyLen + 2 + 4 + 8 + 8 || pos + recLen > len) break;
            var rec = new byte[recLen];
            _data.Position = pos;
            _data.ReadExactly(rec);
            if (!ChecksumOk(rec))
            {
                if (pos + recLen == len) break; // a torn last record: cut off
                pos += recLen;                  // a damaged record in the middle: not indexed, so it is redone
                DamagedRecords++;
                continue;
            }
            var key = Encoding.UTF8.GetString(rec, FixedHeader, keyLen);
            int p = FixedHeader + keyLen;
            int layers = BinaryPrimitives.ReadUInt16LittleEndian(rec.AsSpan(p));
            int frames = BinaryPrimitives.ReadInt32LittleEndian(rec.AsSpan(p + 2));
            ulong src = BinaryPrimitives.ReadUInt64LittleEndian(rec.AsSpan(p + 6));
            if ((long)layers * frames * 2 != recLen - (p + 14) - 8) break;
            if (layers != NumQuantizers)
            {
                // checksummed but not of this store's shape: damaged (rewritten), so not indexed and redone
                pos += recLen;
                DamagedRecords++;
                continue;
            }
            lock (_lock) _index[key] = new RecordRef(pos, recLen, layers, frames, src, p + 14); // a later record of a key supersedes earlier ones
            pos += recLen;
        }
        return pos;
    }

    private static bool ChecksumOk(ReadOnlySpan<byte> rec) =>
        BinaryPrimitives.ReadUInt64LittleEndian(rec[^8..]) == Hash64(rec[..^8]);

    private static ulong Hash64(ReadOnlySpan<byte> data)
    {
        Span<byte> h = stackalloc byte[32];
        SHA256.HashData(data, h);
        return BinaryPrimitives.ReadUInt64LittleEndian(h);
    }

    /// <summary>A checksum of a sample's sources: each clip's path, size and modification time, in order.</summary>
    public static ulong SourceHash(IEnumerable<string> clipPaths)
    {
        var sb = new StringBuilder();
        foreach (var p in clipPaths)
        {
            var fi = new FileInfo(p);
            sb.Append(p).Append('\0').Append(fi.Exists ? fi.Length : -1).Append('\0').Append(fi.Exists ? fi.LastWriteTimeUtc.Ticks : 0).Append('\n');
        }
        return Hash64(Encoding.UTF8.GetBytes(sb.ToString()));
    }

    /// <summary>True when the sample's record exists, was made from these sources and its codes pass the checksum.</summary>
    public bool IsDone(string key, ulong sourceHash)
    {
        RecordRef e;
        lock (_lock) if (!_index.TryGetValue(key, out e)) return false;
        return e.SourceHash == sourceHash && ReadRecord(key, e) != null;
    }

    public int[][] Get(string key) =>
        TryGet(key) ?? throw new SpeechTokException($"{Directory}: no codes for sample {key} (run `speechtok tokenize` on the manifest first)");

    public int[][]? TryGet(string key)
    {
        RecordRef e;
        lock (_lock) if (!_index.TryGetValue(key, out e)) return null;
        return ReadRecord(key, e) ?? throw new SpeechTokException($"{_dataPath}: the record of sample {key} fails its checksum (the file was modified or damaged; delete the store and tokenize again)");
    }

    private int[][]? ReadRecord(string key, RecordRef e)
    {
        var rec = new byte[e.Length];
        lock (_lock)
        {
            _data.Position = e.Offset;
            _data.ReadExactly(rec);
        }
        if (!ChecksumOk(rec)) return null;
        var codes = new int[e.Layers][];
        for (int q = 0; q < e.Layers; q++)
        {
            codes[q] = new int[e.Frames];
            for (int t = 0; t < e.Frames; t++)
            {
                int c = BinaryPrimitives.ReadUInt16LittleEndian(rec.AsSpan(e.CodesAt + 2 * (q * e.Frames + t)));
                codes[q][t] = c < CodebookSize ? c
                    : throw new SpeechTokException($"{_dataPath}: the record of sample {key} holds code {c} in layer {q + 1}, outside the store's 0..{CodebookSize - 1} (delete the store and tokenize again)");
            }
        }
        return codes;
    }

    /// <summary>Appends one sample's codes [layer][frame] and flushes them to disk before returning.</summary>
    public void Append(string key, ulong sourceHash, int[][] codes)
    {
        if (!Writable) throw new InvalidOperationException("code store opened read-only");
        if (codes.Length != NumQuantizers) throw new SpeechTokException($"sample {key}: {codes.Length} code layers, the store expects {NumQuantizers}");
        int frames = codes.Length == 0 ? 0 : codes[0].Length;
        var keyBytes = Encoding.UTF8.GetBytes(key);
        if (keyBytes.Length > ushort.MaxValue) throw new SpeechTokException($"sample key '{key[..40]}…' is too long");
        long recLen = FixedHeader + keyBytes.Length + 14 + 2L * codes.Length * frames + 8;
        if (recLen > int.MaxValue) throw new SpeechTokException($"sample {key}: {frames} frames are too many for one record");
        var rec = new byte[recLen];
        var s = rec.AsSpan();
        Magic.CopyTo(s);
        BinaryPrimitives.WriteInt32LittleEndian(s[4..], (int)recLen);
        BinaryPrimitives.WriteUInt16LittleEndian(s[8..], (ushort)keyBytes.Length);
        keyBytes.CopyTo(s[FixedHeader..]);
        int p = FixedHeader + keyBytes.Length;
        BinaryPrimitives.WriteUInt16LittleEndian(s[p..], (ushort)codes.Length);
        BinaryPrimitives.WriteInt32LittleEndian(s[(p + 2)..], frames);
        BinaryPrimitives.WriteUInt64LittleEndian(s[(p + 6)..], sourceHash);
        p += 14;
        for (int q = 0; q < codes.Length; q++)
        {
            if (codes[q].Length != frames) throw new SpeechTokException($"sample {key}: layer {q + 1} has {codes[q].Length} frames, layer 1 has {frames}");
            foreach (var c in codes[q])
            {
                if ((uint)c >= (uint)CodebookSize) throw new SpeechTokException($"sample {key}: code {c} in layer {q + 1} is outside 0..{CodebookSize - 1}");
                BinaryPrimitives.WriteUInt16LittleEndian(s[p..], (ushort)c);
                p += 2;
            }
        }
        BinaryPrimitives.WriteUInt64LittleEndian(s[p..], Hash64(s[..p]));
        lock (_lock)
        {
            long off = _data.Length;
            _data.Position = off;
            _data.Write(rec);
            _data.Flush(flushToDisk: true);
            _index[key] = new RecordRef(off, (int)recLen, codes.Length, frames, sourceHash, FixedHeader + keyBytes.Length + 14);
        }
    }

    public void Dispose() => _data.Dispose();
}
