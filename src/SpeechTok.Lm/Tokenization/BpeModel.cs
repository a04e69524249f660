using System.Buffers;
using System.Collections.Concurrent;

namespace SpeechTok.Lm.Tokenization;

/// <summary>
/// HF <c>BPE</c> model over byte-level strings: vocab, merges ranked by position, <c>ignore_merges</c>, and a
/// bounded cache of results per pre-token. The merge loop follows the HF implementation (a min-heap on
/// (rank, position), stale entries dropped), so ties and overlapping merges resolve the same way.
/// </summary>
internal sealed class BpeModel
{
    private const int CacheCapacity = 200_000;

    private readonly Dictionary<string, int> _vocab;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _vocabBySpan;
    private readonly string?[] _idToToken;
    private readonly Dictionary<long, (int Rank, int NewId)> _merges;
    private readonly int[] _byteIds; // id of each single mapped byte, -1 when absent
    private readonly int? _unkId;
    private readonly string _source;
    private readonly ConcurrentDictionary<string, int[]> _cache = new();
    private int _cacheCount; // ConcurrentDictionary.Count takes every lock
    private readonly ConcurrentDictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> _cacheBySpan;

    /// <summary>The file's <c>ignore_merges</c>.</summary>
    public bool IgnoreMerges { get; }
    public int VocabCount => _vocab.Count;

    public BpeModel(Dictionary<string, int> vocab, IReadOnlyList<(string A, string B)> merges, bool ignoreMerges, string? unkToken, string source)
    {
        _source = source;
        _vocab = vocab;
        _vocabBySpan = vocab.GetAlternateLookup<ReadOnlySpan<char>>();
        _cacheBySpan = _cache.GetAlternateLookup<ReadOnlySpan<char>>();
        IgnoreMerges = ignoreMerges;
        int maxId = -1;
        foreach (var (tok, id) in vocab)
        {
            if (id < 0) throw new SpeechTokException($"{source}: model.vocab entry '{tok}' has negative id {id}");
            maxId = Math.Max(maxId, id);
        }
        _idToToken = new string?[maxId + 1];
        foreach (var (tok, id) in vocab) _idToToken[id] = tok;

        _merges = new Dictionary<long, (int, int)>(merges.Count, PairComparer.Instance);
        for (int r = 0; r < merges.Count; r++)
        {
            var (a, b) = merges[r];
            int ia = Lookup(a, r), ib = Lookup(b, r), inew = LookupConcat(a, b, r);
            _merges[Key(ia, ib)] = (r, inew); // a repeated pair keeps its last rank, as HF's map does
        }

        _byteIds = new int[256];
        for (int b = 0; b < 256; b++)
            _byteIds[b] = _vocabBySpan.TryGetValue([ByteLevel.ByteToChar[b]], out int id) ? id : -1;

        if (unkToken != null)
        {
            if (!vocab.TryGetValue(unkToken, out int u)) throw new SpeechTokException($"{source}: model.unk_token '{unkToken}' is not in model.vocab");
            _unkId = u;
        }
    }

    private int Lookup(string token, int rank) =>
        _vocab.TryGetValue(token, out int id) ? id
        : throw new SpeechTokException($"{_source}: model.merges[{rank}] uses '{token}', which is not in model.vocab");

    private int LookupConcat(string a, string b, int rank)
    {
        int n = a.Length + b.Length;
        Span<char> both = n <= 256 ? stackalloc char[n] : new char[n];
        a.CopyTo(both);
        b.CopyTo(both[a.Length..]);
        return _vocabBySpan.TryGetValue(both, out int id) ? id : Lookup(a + b, rank);
    }

    private static long Key(int a, int b) => ((long)a << 32) | (uint)b;

    public int? TokenToId(string token) => _vocab.TryGetValue(token, out int id) ? id : null;

    public string? IdToToken(int id) => (uint)id < (uint)_idToToken.Length ? _idToToken[id] : null;

    /// <summary>Appends the ids of one pre-token given as UTF-8 bytes.</summary>
    public void Tokenize(ReadOnlySpan<byte> utf8, bool ignoreMerges, List<int> output)
    {
        if (utf8.IsEmpty) return;
        char[]? rented = null;
        Span<char> mapped = utf8.Length <= 256 ? stackalloc char[utf8.Length] : (rented = ArrayPool<char>.Shared.Rent(utf8.Length)).AsSpan(0, utf8.Length);
        for (int k = 0; k < utf8.Length; k++) mapped[k] = ByteLevel.ByteToChar[utf8[k]];
        try
        {
            if (ignoreMerges && _vocabBySpan.TryGetValue(mapped, out int whole)) { output.Add(whole); return; }
            if (_cacheBySpan.TryGetValue(mapped, out var hit)) { output.AddRange(hit); return; }
            var ids = Merge(utf8, mapped);
            if (Volatile.Read(ref _cacheCount) < CacheCapacity && _cache.TryAdd(new string(mapped), ids)) Interlocked.Increment(ref _cacheCount);
            output.AddRange(ids);
        }
        finally
        {
            if (rented != null) ArrayPool<char>.Shared.Return(rented);
        }
    }

    private int[] Merge(ReadOnlySpan<byte> utf8, ReadOnlySpan<char> mapped)
    {
        int count = utf8.Length;
        var id = new int[count];
        var prev = new int[count];
        var next = new int[count];
        var alive = new bool[count];
        for (int k = 0; k < count; k++)
        {
            int b = _byteIds[utf8[k]];
            if (b < 0)
            {
                // Only a vocab without all 256 byte symbols gets here (HF would emit unk; fuse_unk is not modelled).
                b = _unkId ?? throw new SpeechTokException($"{_source}: byte symbol '{mapped[k]}' (0x{utf8[k]:X2}) is not in model.vocab and model.unk_token is null");
            }
            id[k] = b;
            prev[k] = k - 1;
            next[k] = k + 1 < count ? k + 1 : -1;
            alive[k] = true;
        }

        var queue = new PriorityQueue<(int Pos, int NewId), long>();
        for (int k = 0; k + 1 < count; k++)
            if (_merges.TryGetValue(Key(id[k], id[k + 1]), out var m)) queue.Enqueue((k, m.NewId), Priority(m.Rank, k));

        while (queue.TryDequeue(out var top, out _))
        {
            int p = top.Pos;
            if (!alive[p] || next[p] < 0) continue;
            int q = next[p];
            // A stale entry: the pair at p changed since it was queued.
            if (!_merges.TryGetValue(Key(id[p], id[q]), out var cur) || cur.NewId != top.NewId) continue;
            id[p] = top.NewId;
            alive[q] = false;
            next[p] = next[q];
            if (next[q] >= 0) prev[next[q]] = p;
            if (prev[p] >= 0 && _merges.TryGetValue(Key(id[prev[p]], id[p]), out var left))
                queue.Enqueue((prev[p], left.NewId), Priority(left.Rank, prev[p]));
            if (next[p] >= 0 && _merges.TryGetValue(Key(id[p], id[next[p]]), out var right))
                queue.Enqueue((p, right.NewId), Priority(right.Rank, p));
        }

        var result = new List<int>(count);
        for (int k = 0; k >= 0 && count > 0; k = next[k]) result.Add(id[k]);
        return result.ToArray();
    }

    private static long Priority(int rank, int pos) => ((long)rank << 32) | (uint)pos;

    /// <summary>long.GetHashCode() is hi ^ lo, which collides massively for (id, id) pairs; mix the bits instead.</summary>
    private sealed class PairComparer : IEqualityComparer<long>
    {
        public static readonly PairComparer Instance = new();
        public bool Equals(long x, long y) => x == y;
        public int GetHashCode(long key) => (int)(((ulong)key * 0x9E3779B97F4A7C15UL) >> 32);
    }
}
