using SpeechTok.Audio;
using SpeechTok.IO;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace SpeechTok.Codec.Store;

/// <summary>
/// Append-only store of RVQ codes, one record per sample (format: docs/codes.md). <c>store.json</c> names
/// the format version, the tokenizer identity and the channel mixdown; <c>codes.bin</c> holds self-describing records
/// (key, layers, frames, <see cref="SampleSource"/>, uint16 codes, record checksum). The index (key → record) is
/// rebuilt by reading the record headers. Records are only ever appended and flushed to disk one by one,
/// so a crash can only leave a torn last record, which is detected (length or checksum) and cut off
/// before the next append; a file that breaks off anywhere else is damaged, and opening it is an error naming the byte. Records are found by the sample's key (<c>split/index</c>), and a reader given the
/// manifest sample (<see cref="Get(ManifestSample)"/>) also checks that the record was made from that sample's clips.
/// </summary>
public sealed class CodeStore : IDisposable
{
    public const string Format = "speechtok-codes";
    public const int FormatVersion = 3;
    public const string MetaFile = CodeStoreFile.FileName, DataFile = "codes.bin";
    private static ReadOnlySpan<byte> Magic => "STC3"u8;
    private const int FixedHeader = 4 + 4 + 2; // magic, record length, key length
    private const int SampleHeader = 2 + 4 + 8 + 8 + 8; // layers, frames, content, stamp, names (after the key)

    /// <summary>Where one sample's record lies in codes.bin and what it holds; its codes start <see cref="CodesAt"/> bytes into it.</summary>
    private readonly record struct RecordRef(long Offset, int Length, int Layers, int Frames, SampleSource Source, int CodesAt);

    private readonly Dictionary<string, RecordRef> _index = new(StringComparer.Ordinal);
    private FileStream _data;
    private FileStream? _writing; // the folder's lock while the store is open for appending
    private readonly string _dataPath;
    private readonly object _lock = new();

    public string Directory { get; }
    public string TokenizerIdentity { get; }
    public int NumQuantizers { get; }
    public int CodebookSize { get; }
    /// <summary>Whether the clips' channels were averaged (<c>--mixdown</c>) rather than channel 0 taken.</summary>
    public bool Mixdown { get; }
    /// <summary>Bytes of a torn final record found on open (cut off when opened for writing).</summary>
    public long TornTailBytes { get; }
    public bool Writable { get; }
    /// <summary>Complete records whose checksum failed (skipped; their samples count as not done).</summary>
    public int DamagedRecords { get; private set; }

    /// <summary>For a "no codes" message: how many damaged records were skipped (tokenize redoes them), or "" when none were.</summary>
    public string DamageNote => DamagedRecords == 0 ? ""
        : $" ({Path.Combine(Directory, DataFile)} has {DamagedRecords} damaged record(s) that fail their checksum and were skipped; `speechtok tokenize` redoes them)";

    private int _unverified;

    /// <summary>
    /// Samples read so far whose clips were not found, so that only their file names could be checked (the content
    /// could not); <see cref="FirstUnverified"/> is the first missing clip. Callers warn: a wrong --audio-root looks like this.
    /// </summary>
    public int Unverified => Volatile.Read(ref _unverified);
    public string? FirstUnverified { get; private set; }

    /// <summary>One line for a log when <see cref="Unverified"/> &gt; 0, else null; ends by advising --audio-root.</summary>
    public string? UnverifiedWarning => UnverifiedWarningWith("pass --audio-root if the clips are elsewhere");

    /// <summary><see cref="UnverifiedWarning"/> with another <paramref name="remedy"/>, for a command without --audio-root.</summary>
    public string? UnverifiedWarningWith(string remedy) => Unverified == 0 ? null
        : $"warning: the clips of {Unverified} sample(s) were not found (e.g. {FirstUnverified}), so their codes in {Directory} were matched by clip file name only, not by content; {remedy}";

    public IReadOnlyCollection<string> Keys
    {
        get { lock (_lock) return _index.Keys.ToList(); }
    }

    private CodeStore(string dir, string identity, int nq, int k, bool mixdown, bool writable)
    {
        Directory = dir;
        TokenizerIdentity = identity;
        NumQuantizers = nq;
        CodebookSize = k;
        Mixdown = mixdown;
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
        long good;
        try { good = Scan(); }
        catch
        {
            _data.Dispose();
            throw;
        }
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
        var meta = CodeStoreFile.LoadFrom(dir);
        if (!File.Exists(Path.Combine(dir, DataFile))) throw new SpeechTokException($"{Path.Combine(dir, DataFile)}: missing (the code store is incomplete)");
        return new CodeStore(dir, meta.Tokenizer, meta.NumQuantizers, meta.CodebookSize, meta.Mixdown, writable: false);
    }

    /// <summary>
    /// Opens a store for appending, creating it when absent; a store made by another tokenizer, or with the other
    /// <paramref name="mixdown"/> setting, is an error.
    /// </summary>
    public static CodeStore OpenOrCreate(string dir, string tokenizerIdentity, int numQuantizers, int codebookSize, bool mixdown = false)
    {
        dir = Path.GetFullPath(dir);
        if (codebookSize > 65536) throw new SpeechTokException($"codebook size {codebookSize} does not fit the store's uint16 codes");
        // The write handle alone does not keep a second writer out (on Linux .NET takes a shared flock for it): two tokenize
        // runs into one folder appended the same samples twice.
        var writing = FolderLock.Acquire(dir, "tokenize");
        try { return OpenOrCreateLocked(dir, tokenizerIdentity, numQuantizers, codebookSize, mixdown, writing); }
        catch
        {
            writing.Dispose();
            throw;
        }
    }

    private static CodeStore OpenOrCreateLocked(string dir, string tokenizerIdentity, int numQuantizers, int codebookSize, bool mixdown, FileStream writing)
    {
        if (File.Exists(Path.Combine(dir, MetaFile)))
        {
            var meta = CodeStoreFile.LoadFrom(dir);
            if (meta.Tokenizer != tokenizerIdentity)
                throw new SpeechTokException($"{Path.Combine(dir, MetaFile)}: this store holds codes of tokenizer {meta.Tokenizer}, not {tokenizerIdentity}; use another --out folder (codes of two tokenizers are never mixed)");
            if (meta.NumQuantizers != numQuantizers || meta.CodebookSize != codebookSize)
                throw new SpeechTokException($"{Path.Combine(dir, MetaFile)}: store has {meta.NumQuantizers} layers × {meta.CodebookSize} codes, the tokenizer {numQuantizers} × {codebookSize}");
            if (meta.Mixdown != mixdown)
                throw new SpeechTokException($"{Path.Combine(dir, MetaFile)}: this store's codes were made {(meta.Mixdown ? "with" : "without")} --mixdown; run with the same setting or use another --out folder");
        }
        else new CodeStoreFile { Tokenizer = tokenizerIdentity, NumQuantizers = numQuantizers, CodebookSize = codebookSize, Mixdown = mixdown, DataFile = DataFile }.Save(dir);
        var store = new CodeStore(dir, tokenizerIdentity, numQuantizers, codebookSize, mixdown, writable: true) { _writing = writing };
        // A compaction killed before its rename leaves its temp file; holding the folder's lock, no other writer is at work.
        AtomicFile.DeleteTempFiles(dir, DataFile);
        return store;
    }

    /// <summary>Fails unless the store was written by the tokenizer with this identity.</summary>
    public void RequireTokenizer(string identity)
    {
        if (identity != TokenizerIdentity)
            throw new SpeechTokException($"{Path.Combine(Directory, MetaFile)}: codes are from tokenizer {TokenizerIdentity}, expected {identity}");
    }

    /// <summary>
    /// Reads every record header; returns the end of the last complete record. What follows the last complete record
    /// when no complete record comes after it is a torn tail: a final record that is incomplete (the file ends inside
    /// its header, or its declared length runs past the end), a complete final record that fails its checksum, or bytes
    /// that cannot be framed at all (the zeros a power loss can leave). What lies beyond it is left to the caller (cut
    /// when writable). Bytes that cannot be framed with a complete record after them (no magic, an impossible length,
    /// a length running past the end over complete records) are damage: an error naming the file, the byte offset
    /// and the record number, before anything is changed.
    /// </summary>
    private long Scan()
    {
        long pos = 0, len = _data.Length;
        int record = 0;
        long badChecksumAt = -1; // the previous record failed its checksum: its length may be what is damaged
        var head = new byte[FixedHeader];
        while (pos < len)
        {
            record++;
            if (len - pos < FixedHeader)
            {
                break; // fewer bytes than a header, with no record after them: a torn last record (or the zeros a power loss can leave)
            }
            _data.Position = pos;
            _data.ReadExactly(head);
            // Unframeable bytes with no complete record after them are a torn tail too: a power loss can leave the end of a
            // file zero-filled or stale (ext4 delayed allocation, XFS). Followed by a complete record, they are damage.
            if (!head.AsSpan(0, 4).SequenceEqual(Magic))
            {
                if (!CompleteRecordAfter(pos + 1, len)) break;
                throw Damage(pos, record, badChecksumAt, $"it does not start with the record magic STC3 ({len - pos} byte(s) from there to the end of the file)");
            }
            int recLen = BinaryPrimitives.ReadInt32LittleEndian(head.AsSpan(4));
            int keyLen = BinaryPrimitives.ReadUInt16LittleEndian(head.AsSpan(8));
            if (recLen < FixedHeader + keyLen + SampleHeader + 8)
            {
                if (!CompleteRecordAfter(pos + 1, len)) break;
                throw Damage(pos, record, badChecksumAt, $"its declared length {recLen} is less than its header with a {keyLen}-byte key needs");
            }
            if (pos + recLen > len)
            {
                if (!CompleteRecordAfter(pos + 1, len)) break; // a torn last record: cut off
                throw Damage(pos, record, badChecksumAt, $"its declared length {recLen} runs past the end of the file ({len - pos} byte(s) left), yet complete records follow it");
            }
            var rec = new byte[recLen];
            _data.Position = pos;
            _data.ReadExactly(rec);
            if (!ChecksumOk(rec))
            {
                if (pos + recLen == len)
                {
                    if (!CompleteRecordAfter(pos + 1, len)) break; // a torn last record: cut off
                    throw Damage(pos, record, badChecksumAt, $"it fails its checksum and its declared length {recLen} spans complete records up to the end of the file");
                }
                badChecksumAt = pos;
                pos += recLen;                  // a damaged record in the middle: not indexed, so it is redone
                DamagedRecords++;
                continue;
            }
            badChecksumAt = -1;
            var key = Encoding.UTF8.GetString(rec, FixedHeader, keyLen);
            int p = FixedHeader + keyLen;
            int layers = BinaryPrimitives.ReadUInt16LittleEndian(rec.AsSpan(p));
            int frames = BinaryPrimitives.ReadInt32LittleEndian(rec.AsSpan(p + 2));
            var src = new SampleSource(BinaryPrimitives.ReadUInt64LittleEndian(rec.AsSpan(p + 6)), BinaryPrimitives.ReadUInt64LittleEndian(rec.AsSpan(p + 14)),
                BinaryPrimitives.ReadUInt64LittleEndian(rec.AsSpan(p + 22)));
            if ((long)layers * frames * 2 != recLen - (p + SampleHeader) - 8 || layers != NumQuantizers)
            {
                // checksummed but not of this store's shape: damaged (rewritten), so not indexed and redone
                pos += recLen;
                DamagedRecords++;
                continue;
            }
            lock (_lock) _index[key] = new RecordRef(pos, recLen, layers, frames, src, p + SampleHeader); // a later record of a key supersedes earlier ones
            pos += recLen;
        }
        return pos;
    }

    /// <summary>
    /// The error for codes.bin damaged at <paramref name="pos"/>: the records before it are intact, those from it on
    /// cannot be found. It says how to keep the intact ones (cut the file there; tokenize redoes the rest).
    /// </summary>
    private SpeechTokException Damage(long pos, int record, long badChecksumAt, string what)
    {
        long cut = badChecksumAt >= 0 ? badChecksumAt : pos;
        return new($"{_dataPath}: damaged at byte {pos} (record {record}): {what}" +
            (badChecksumAt >= 0 ? $"; the record before it, at byte {badChecksumAt}, fails its checksum, so its length may be the damaged field" : "") +
            ". This is not what an interrupted run leaves (an incomplete last record only), so nothing was cut or changed, and the records after it cannot be found. " +
            $"To keep the records before byte {cut}, cut the file there (`truncate -s {cut} '{_dataPath.Replace("'", "'\\''")}'`) and rerun `speechtok tokenize`, which encodes " +
            $"the samples after it again; or delete {_dataPath} and rerun `speechtok tokenize` to encode every sample again");
    }

    /// <summary>Whether a complete record whose checksum verifies starts anywhere in [<paramref name="from"/>, <paramref name="len"/>).</summary>
    private bool CompleteRecordAfter(long from, long len)
    {
        const int MinRecord = FixedHeader + SampleHeader + 8;
        var buf = new byte[(int)Math.Clamp(len - from, 0, 1 << 20)];
        for (long at = from; len - at >= MinRecord;)
        {
            int n = (int)Math.Min(buf.Length, len - at);
            _data.Position = at;
            _data.ReadExactly(buf, 0, n);
            for (int i = 0; i <= n - 4;)
            {
                int k = buf.AsSpan(i, n - i).IndexOf(Magic);
                if (k < 0) break;
                if (IsCompleteRecordAt(at + i + k, len)) return true;
                i += k + 1;
            }
            if (at + n >= len) break;
            at += n - 3; // a magic across the block boundary is found in the next block
        }
        return false;
    }

    private bool IsCompleteRecordAt(long pos, long len)
    {
        var head = new byte[FixedHeader];
        if (len - pos < FixedHeader) return false;
        _data.Position = pos;
        _data.ReadExactly(head);
        int recLen = BinaryPrimitives.ReadInt32LittleEndian(head.AsSpan(4));
        int keyLen = BinaryPrimitives.ReadUInt16LittleEndian(head.AsSpan(8));
        if (!head.AsSpan(0, 4).SequenceEqual(Magic) || recLen < FixedHeader + keyLen + SampleHeader + 8 || pos + recLen > len) return false;
        var rec = new byte[recLen];
        _data.ReadExactly(rec.AsSpan(FixedHeader));
        head.CopyTo(rec, 0);
        return ChecksumOk(rec);
    }

    private static bool ChecksumOk(ReadOnlySpan<byte> rec) =>
        BinaryPrimitives.ReadUInt64LittleEndian(rec[^8..]) == SampleSource.Hash64(rec[..^8]);

    /// <summary>
    /// How the sample's record compares with its clips now: the stamp first (no audio read), then the content.
    /// When a clip is gone, only the file names can be compared: <see cref="SourceMatch.Unverifiable"/> when they match
    /// (codes may outlive their audio; readers count these in <see cref="Unverified"/>), else <see cref="SourceMatch.Changed"/>.
    /// <paramref name="now"/> is the clips' source when it was computed (Moved, Changed), else default.
    /// </summary>
    internal SourceMatch Compare(ManifestSample sample, out SampleSource now)
    {
        now = default;
        RecordRef e;
        lock (_lock) if (!_index.TryGetValue(sample.Key, out e)) return SourceMatch.Missing;
        ulong stamp = SampleSource.StampOf(sample.AudioPaths);
        if (stamp == e.Source.Stamp) return SourceMatch.Same;
        if (!sample.AudioPaths.All(File.Exists))
            return SampleSource.NamesOf(sample.AudioPaths) == e.Source.Names ? SourceMatch.Unverifiable : SourceMatch.Changed;
        now = SampleSource.Of(sample.AudioPaths);
        return now.Content == e.Source.Content ? SourceMatch.Moved : SourceMatch.Changed;
    }

    /// <summary>Whether the store holds codes of <paramref name="sample"/> made from other audio than its clips now (a clip changed since).</summary>
    public bool HasOtherAudio(ManifestSample sample) => Compare(sample, out _) == SourceMatch.Changed;

    /// <summary>
    /// The codes [layer][frame] of a manifest sample, or null when the store has none. Errors (naming the manifest
    /// line, the clips and the store) when the record was made from other audio than the sample's clips (the
    /// manifest was edited or reordered, or a clip changed) and when the record fails its checksum.
    /// </summary>
    public int[][]? TryGet(ManifestSample sample)
    {
        var match = Compare(sample, out _);
        if (match == SourceMatch.Missing) return null;
        if (match == SourceMatch.Changed)
            throw new SpeechTokException($"{sample.Where}: the codes in {Directory} were made from other audio than {string.Join(" | ", sample.AudioPaths)} " +
                "(the manifest was edited or reordered, a clip changed, or this is another dataset); run `speechtok tokenize` on this manifest " +
                "(for another dataset, into a new folder, given here as --codes)");
        if (match == SourceMatch.Unverifiable && Interlocked.Increment(ref _unverified) == 1) FirstUnverified = sample.AudioPaths.First(p => !File.Exists(p));
        return TryGet(sample.Key);
    }

    /// <summary>As <see cref="TryGet(ManifestSample)"/>; a sample without codes is an error naming its manifest line.</summary>
    public int[][] Get(ManifestSample sample) =>
        TryGet(sample) ?? throw new SpeechTokException($"{sample.Where}: code store {Directory} has no codes for this sample; run `speechtok tokenize` on the manifest first{DamageNote}");

    /// <summary>Codes by key alone, without checking the sources (store internals and tests).</summary>
    internal int[][] Get(string key) =>
        TryGet(key) ?? throw new SpeechTokException($"{Directory}: no codes for sample {key} (run `speechtok tokenize` on the manifest first){DamageNote}");

    internal int[][]? TryGet(string key)
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

    /// <summary>
    /// SHA-256 (lowercase hex) over each key, its shape and its codes, in the order given: what a run records so that
    /// resuming it after the codes changed (a re-tokenized clip) is noticed. Only the codes count, so re-stamped or
    /// compacted records (moved clips, same codes) keep it. A key without a record is an error.
    /// </summary>
    public string Fingerprint(IEnumerable<string> keys)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> shape = stackalloc byte[8];
        foreach (var key in keys)
        {
            RecordRef e;
            var rec = Array.Empty<byte>();
            lock (_lock)
            {
                if (!_index.TryGetValue(key, out e)) throw new SpeechTokException($"{Directory}: no codes for sample {key}");
                rec = new byte[e.Length];
                _data.Position = e.Offset;
                _data.ReadExactly(rec);
            }
            BinaryPrimitives.WriteInt32LittleEndian(shape, e.Layers);
            BinaryPrimitives.WriteInt32LittleEndian(shape[4..], e.Frames);
            sha.AppendData(Encoding.UTF8.GetBytes(key + "\0"));
            sha.AppendData(shape);
            sha.AppendData(rec.AsSpan(e.CodesAt, e.Length - e.CodesAt - 8));
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    /// <summary>True when the key's record exists and its codes pass the checksum.</summary>
    internal bool IsIntact(string key)
    {
        RecordRef e;
        lock (_lock) if (!_index.TryGetValue(key, out e)) return false;
        return ReadRecord(key, e) != null;
    }

    /// <summary>Appends one sample's codes [layer][frame], made from <paramref name="source"/>, and flushes them to disk before returning.</summary>
    public void Append(string key, SampleSource source, int[][] codes)
    {
        if (!Writable) throw new InvalidOperationException("code store opened read-only");
        if (codes.Length != NumQuantizers) throw new SpeechTokException($"sample {key}: {codes.Length} code layers, the store expects {NumQuantizers}");
        int frames = codes.Length == 0 ? 0 : codes[0].Length;
        var keyBytes = Encoding.UTF8.GetBytes(key);
        if (keyBytes.Length > ushort.MaxValue) throw new SpeechTokException($"sample key '{key[..40]}…' is too long");
        long recLen = FixedHeader + keyBytes.Length + SampleHeader + 2L * codes.Length * frames + 8;
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
        BinaryPrimitives.WriteUInt64LittleEndian(s[(p + 6)..], source.Content);
        BinaryPrimitives.WriteUInt64LittleEndian(s[(p + 14)..], source.Stamp);
        BinaryPrimitives.WriteUInt64LittleEndian(s[(p + 22)..], source.Names);
        p += SampleHeader;
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
        BinaryPrimitives.WriteUInt64LittleEndian(s[p..], SampleSource.Hash64(s[..p]));
        lock (_lock)
        {
            long off = _data.Length;
            _data.Position = off;
            _data.Write(rec);
            _data.Flush(flushToDisk: true);
            _index[key] = new RecordRef(off, (int)recLen, codes.Length, frames, source, FixedHeader + keyBytes.Length + SampleHeader);
        }
    }

    /// <summary>Bytes of codes.bin held by records a later record of the same key superseded (or damaged ones).</summary>
    public long SupersededBytes
    {
        get { lock (_lock) return _data.Length - _index.Values.Sum(e => (long)e.Length); }
    }

    /// <summary>
    /// Rewrites codes.bin with the current record of every key only, in file order, when superseded records take more
    /// room than the live ones (each re-stamp or re-encoding appends a whole record). The new file replaces the old by an
    /// atomic rename, so a crash leaves one or the other. Returns the bytes freed (0: nothing done).
    /// </summary>
    public long CompactIfWasteful()
    {
        if (!Writable) throw new InvalidOperationException("code store opened read-only");
        lock (_lock)
        {
            long live = _index.Values.Sum(e => (long)e.Length), before = _data.Length;
            if (before - live <= live) return 0;
            var records = _index.Values.OrderBy(e => e.Offset).ToList();
            AtomicFile.Write(_dataPath, fs =>
            {
                foreach (var e in records)
                {
                    var rec = new byte[e.Length];
                    _data.Position = e.Offset;
                    _data.ReadExactly(rec);
                    fs.Write(rec);
                }
            });
            _data.Dispose();
            _data = new FileStream(_dataPath, FileMode.Open, FileAccess.ReadWrite, FileShare.Read);
            _index.Clear();
            int damaged = DamagedRecords; // what this open found stays reported; the new file has none
            Scan();
            DamagedRecords = damaged;
            return before - _data.Length;
        }
    }

    public void Dispose()
    {
        _data.Dispose();
        _writing?.Dispose();
    }
}
