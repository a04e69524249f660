using System.Collections.Concurrent;

namespace SpeechTok.Lm.Tokenization;

/// <summary>
/// HF <c>BPE</c> model: vocab, merges ranked by position, <c>ignore_merges</c>, <c>unk_token</c> with
/// <c>fuse_unk</c>, <c>byte_fallback</c>, and a bounded cache of results per pre-token. A pre-token starts as one
/// symbol per Unicode code point (for byte-level tokenizers the caller has already mapped each UTF-8 byte to its
/// GPT-2 character); a code point missing from the vocab becomes its UTF-8 bytes as <c>&lt;0xXX&gt;</c> tokens
/// (<c>byte_fallback</c>, when all of them exist), else <c>unk</c> (consecutive ones fused with <c>fuse_unk</c>),
/// else nothing, as in <c>BPE::merge_word</c>. The merge loop follows the HF implementation (a min-heap on
/// (rank, position), stale entries dropped), so ties and overlapping merges resolve the same way.
/// </summary>
internal sealed class BpeModel
{
    private const int CacheCapacity = 200_000;

    private readonly Dictionary<string, int> _vocab;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _vocabBySpan;
    private readonly string?[] _idToToken;
    private readonly Dictionary<long, (int Rank, int NewId)> _merges;
    private readonly int[] _charIds; // id of each one-character vocab entry (BMP), -1 when absent
    private readonly int[]? _byteFallbackIds; // id of <0xXX> for each byte, -1 when absent; null without byte_fallback
    private readonly int? _unkId;
    private readonly bool _fuseUnk;
    private readonly string _source;
    private readonly ConcurrentDictionary<string, int[]> _cache = new();
    private int _cacheCount; // ConcurrentDictionary.Count takes every lock
    private readonly ConcurrentDictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> _cacheBySpan;

    /// <summary>The file's <c>ignore_merges</c>.</summary>
    public bool IgnoreMerges { get; }
    public int VocabCount => _vocab.Count;

    /// <summary>The largest vocab id + 1 (ids need not be dense).</summary>
    public int IdCount => _idToToken.Length;

    /// <summary>Ids above this are a corrupt file, not a vocabulary (the largest real ones hold ~260k tokens).</summary>
    public const int MaxTokenId = (1 << 24) - 1;

    public BpeModel(Dictionary<string, int> vocab, IReadOnlyList<(string A, string B)> merges, bool ignoreMerges, string? unkToken,
        bool fuseUnk, bool byteFallback, string source)
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
            if (id > MaxTokenId) throw new SpeechTokException($"{source}: model.vocab entry '{tok}' has id {id}, beyond {MaxTokenId}");
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

        _charIds = new int[65536];
        Array.Fill(_charIds, -1);
        foreach (var (tok, id) in vocab)
            if (tok.Length == 1) _charIds[tok[0]] = id;
        if (byteFallback)
        {
            _byteFallbackIds = new int[256];
            for (int b = 0; b < 256; b++) _byteFallbackIds[b] = vocab.TryGetValue($"<0x{b:X2}>", out int id) ? id : -1;
        }
        _fuseUnk = fuseUnk;

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

    /// <summary>Appends the ids of one pre-token (no lone surrogates).</summary>
    public void Tokenize(ReadOnlySpan<char> word, bool ignoreMerges, List<int> output)
    {
        if (word.IsEmpty) return;
        if (ignoreMerges && _vocabBySpan.TryGetValue(word, out int whole)) { output.Add(whole); return; }
        if (_cacheBySpan.TryGetValue(word, out var hit)) { output.AddRange(hit); return; }
        var ids = Merge(word);
        if (Volatile.Read(ref _cacheCount) < CacheCapacity && _cache.TryAdd(word.ToString(), ids)) Interlocked.Increment(ref _cacheCount);
        output.AddRange(ids);
    }

    /// <summary>The initial symbols of <c>BPE::merge_word</c>: per code point its id, or its byte-fallback ids,
    /// or a (possibly fused) unk. A pending unk is added only when the next known code point (or the end) comes,
    /// after any byte-fallback ids in between: HF's order.</summary>
    private List<int> Symbols(ReadOnlySpan<char> word)
    {
        var symbols = new List<int>(word.Length);
        bool pendingUnk = false;
        Span<byte> utf8 = stackalloc byte[4];
        for (int i = 0; i < word.Length;)
        {
            int len = char.IsHighSurrogate(word[i]) && i + 1 < word.Length && char.IsLowSurrogate(word[i + 1]) ? 2 : 1;
            var cp = word.Slice(i, len);
            i += len;
            int id = len == 1 ? _charIds[cp[0]] : _vocabBySpan.TryGetValue(cp, out int v) ? v : -1;
            if (id >= 0)
            {
                if (pendingUnk) { symbols.Add(_unkId!.Value); pendingUnk = false; }
                symbols.Add(id);
                continue;
            }
            if (_byteFallbackIds != null)
            {
                int n = System.Text.Encoding.UTF8.GetBytes(cp, utf8);
                bool all = true;
                for (int k = 0; k < n; k++) all &= _byteFallbackIds[utf8[k]] >= 0;
                if (all)
                {
                    for (int k = 0; k < n; k++) symbols.Add(_byteFallbackIds[utf8[k]]);
                    continue;
                }
            }
            if (_unkId is int unk)
            {
                if (pendingUnk && !_fuseUnk) symbols.Add(unk);
                pendingUnk = true;
            }
        }
        if (pendingUnk) symbols.Add(_unkId!.Value);
        return symbols;
    }

    private int[] Merge(ReadOnlySpan<char> word)
    {
        var symbols = Symbols(word);
        int count = symbols.Count;
        var id = symbols.ToArray();
        var prev = new int[count];
        var next = new int[count];
        var alive = new bool[count];
        for (int k = 0; k < count; k++)
        {
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
