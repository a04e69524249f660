using System.Text;
using System.Text.Json.Nodes;

namespace SpeechTok.Lm.Tokenization;

/// <summary>
/// Byte-level BPE training with the semantics of HF <c>tokenizers</c>' <c>BpeTrainer</c> over a ByteLevel
/// alphabet: the text is split with the Llama-3 pattern (the <see cref="PatternScanner"/> the tokenizer
/// itself uses), each piece becomes its UTF-8 bytes, and the most frequent adjacent pair (counted over
/// distinct pieces × their frequency) is merged, left to right and non-overlapping inside each piece,
/// until the vocabulary (256 bytes + distinct merged tokens + special tokens) reaches the requested size
/// or no pair occurs <c>minFrequency</c> times. Ties go to the pair whose symbols come first in HF's id
/// order: bytes by their printable character's code point, then merged tokens in creation order (so
/// <c>tokenizers</c> makes the same choice). Two merges that build the same string share one token.
/// Pair counts are kept incrementally (only the pieces holding the merged pair are recounted) with a lazily
/// updated max-heap, so 10 MB of text trains in seconds.
/// </summary>
public static class BpeTrainer
{
    public const string Bos = "<|begin_of_text|>", Eos = "<|end_of_text|>";

    /// <summary>Number of special tokens <see cref="TokenizerJson"/> appends (BOS and EOS; no pad, as Llama-3).</summary>
    public const int SpecialCount = 2;

    /// <summary>Distinct pre-tokenised pieces of <paramref name="texts"/> (byte-level strings) and their counts.</summary>
    public static Dictionary<string, long> CountWords(IEnumerable<string> texts)
    {
        var scanner = PatternScanner.ForPattern(PatternScanner.Llama3Pattern)!;
        var raw = new Dictionary<string, long>(StringComparer.Ordinal);
        var pieces = new List<(int Start, int End, bool IsMatch)>();
        foreach (var t in texts)
        {
            pieces.Clear();
            scanner.FindMatches(t, 0, t.Length, pieces);
            foreach (var (start, end, _) in pieces)
            {
                var key = t[start..end];
                raw[key] = raw.GetValueOrDefault(key) + 1;
            }
        }
        var words = new Dictionary<string, long>(raw.Count, StringComparer.Ordinal);
        foreach (var (w, n) in raw)
        {
            var mapped = ToByteLevel(w);
            words[mapped] = words.GetValueOrDefault(mapped) + n; // two pieces can share bytes (lone surrogates → U+FFFD)
        }
        return words;
    }

    /// <summary>A piece's UTF-8 bytes as GPT-2's printable byte characters.</summary>
    public static string ToByteLevel(string piece)
    {
        var bytes = Encoding.UTF8.GetBytes(piece);
        var chars = new char[bytes.Length];
        for (int i = 0; i < bytes.Length; i++) chars[i] = ByteLevel.ByteToChar[bytes[i]];
        return new string(chars);
    }

    /// <summary>
    /// The merges, in order, for a vocabulary of at most <paramref name="vocabSize"/> tokens in total
    /// (256 bytes + distinct merged tokens + <see cref="SpecialCount"/>). Stops earlier when the most
    /// frequent pair occurs fewer than <paramref name="minFrequency"/> times (HF's min_frequency; HF's
    /// Python default 0 would also merge pairs seen once).
    /// </summary>
    public static List<(string A, string B)> LearnMerges(IReadOnlyDictionary<string, long> words, int vocabSize, int minFrequency = 2)
    {
        if (vocabSize < 256 + SpecialCount) throw new SpeechTokException($"BPE vocabulary size {vocabSize} is below the {256 + SpecialCount} bytes and special tokens");
        if (minFrequency < 1) throw new SpeechTokException($"BPE min frequency {minFrequency} must be at least 1");
        var state = new State(words);
        var merges = new List<(string, string)>();
        while (256 + state.Created + SpecialCount < vocabSize && state.TryMergeBest(minFrequency, out var merge)) merges.Add(merge);
        return merges;
    }

    /// <summary>
    /// A <c>tokenizer.json</c> for the merges: bytes are ids 0–255 (id = byte value), each distinct merged
    /// token the next id in merge order, then <see cref="Bos"/> and <see cref="Eos"/> (special). Llama-3's
    /// split pre-tokenizer, the ByteLevel decoder and a post-processor that prepends BOS, as Llama-3's file.
    /// </summary>
    public static JsonObject TokenizerJson(IReadOnlyList<(string A, string B)> merges)
    {
        var vocab = new JsonObject();
        for (int b = 0; b < 256; b++) vocab[ByteLevel.CharOf((byte)b).ToString()] = b;
        int id = 256;
        foreach (var (a, b) in merges)
            if (!vocab.ContainsKey(a + b)) vocab[a + b] = id++;
        int bos = id, eos = id + 1;
        JsonObject Added(string content, int tid) => new()
        {
            ["id"] = tid, ["content"] = content, ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false, ["normalized"] = false, ["special"] = true,
        };
        return new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = new JsonArray(Added(Bos, bos), Added(Eos, eos)),
            ["normalizer"] = null,
            ["pre_tokenizer"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["pretokenizers"] = new JsonArray(
                    new JsonObject { ["type"] = "Split", ["pattern"] = new JsonObject { ["Regex"] = PatternScanner.Llama3Pattern }, ["behavior"] = "Isolated", ["invert"] = false },
                    new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = false }),
            },
            ["post_processor"] = new JsonObject
            {
                ["type"] = "TemplateProcessing",
                ["single"] = new JsonArray(
                    new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = Bos, ["type_id"] = 0 } },
                    new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "A", ["type_id"] = 0 } }),
                ["pair"] = new JsonArray(
                    new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = Bos, ["type_id"] = 0 } },
                    new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "A", ["type_id"] = 0 } },
                    new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = Bos, ["type_id"] = 1 } },
                    new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "B", ["type_id"] = 1 } }),
                ["special_tokens"] = new JsonObject { [Bos] = new JsonObject { ["id"] = Bos, ["ids"] = new JsonArray(bos), ["tokens"] = new JsonArray(Bos) } },
            },
            ["decoder"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = true, ["trim_offsets"] = true, ["use_regex"] = true },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = null, ["continuing_subword_prefix"] = null, ["end_of_word_suffix"] = null,
                ["fuse_unk"] = false, ["byte_fallback"] = false, ["ignore_merges"] = false, ["vocab"] = vocab,
                ["merges"] = new JsonArray(merges.Select(m => (JsonNode)(m.A + " " + m.B)).ToArray()),
            },
        };
    }

    /// <summary>Symbols are ints: 0–255 the bytes, then merged tokens; a pair is packed into a long (a·2³² + b).</summary>
    private sealed class State
    {
        private readonly int[][] _words; // symbols of each distinct piece; _len gives the live prefix
        private readonly int[] _len;
        private readonly long[] _freq;
        private readonly List<string> _symbol = [];
        private readonly List<int> _rank = [];
        private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);
        private readonly Dictionary<long, long> _count = [];
        private readonly Dictionary<long, List<int>> _where = []; // pieces that may hold the pair (may be stale)
        private readonly PriorityQueue<long, (long Count, int RankA, int RankB)> _heap = new(HeapOrder.Instance);
        private readonly int[] _seen; // stamp per piece, to visit each once per merge
        private int _stamp;

        public int Created { get; private set; }

        public State(IReadOnlyDictionary<string, long> words)
        {
            // HF's ids: the alphabet sorted by character code point, then merged tokens.
            var byChar = Enumerable.Range(0, 256).OrderBy(b => ByteLevel.ByteToChar[b]).ToArray();
            var rank = new int[256];
            for (int r = 0; r < 256; r++) rank[byChar[r]] = r;
            for (int b = 0; b < 256; b++)
            {
                _symbol.Add(ByteLevel.ByteToChar[b].ToString());
                _rank.Add(rank[b]);
                _ids[_symbol[b]] = b;
            }
            // Ordinal order of the pieces: the heap's contents, and so the result, do not depend on dictionary order.
            var ordered = words.Where(kv => kv.Value > 0).OrderBy(kv => kv.Key, StringComparer.Ordinal).ToArray();
            _words = new int[ordered.Length][];
            _len = new int[ordered.Length];
            _freq = new long[ordered.Length];
            _seen = new int[ordered.Length];
            for (int w = 0; w < ordered.Length; w++)
            {
                var key = ordered[w].Key;
                var sym = new int[key.Length];
                for (int i = 0; i < key.Length; i++)
                {
                    int b = ByteLevel.ByteOf(key[i]);
                    if (b < 0) throw new SpeechTokException($"BPE training: piece '{key}' has character U+{(int)key[i]:X4}, which is not a byte-level character");
                    sym[i] = b;
                }
                _words[w] = sym;
                _len[w] = sym.Length;
                _freq[w] = ordered[w].Value;
                for (int i = 0; i + 1 < sym.Length; i++)
                {
                    long p = Pair(sym[i], sym[i + 1]);
                    _count[p] = _count.GetValueOrDefault(p) + _freq[w];
                    AddWhere(p, w);
                }
            }
            foreach (var (p, c) in _count) _heap.Enqueue(p, Key(p, c));
        }

        private static long Pair(int a, int b) => ((long)a << 32) | (uint)b;

        private (long, int, int) Key(long p, long count) => (count, _rank[(int)(p >> 32)], _rank[(int)p]);

        private void AddWhere(long p, int w)
        {
            if (!_where.TryGetValue(p, out var list)) _where[p] = list = [];
            if (list.Count == 0 || list[^1] != w) list.Add(w);
        }

        public bool TryMergeBest(int minFrequency, out (string A, string B) merge)
        {
            merge = default;
            while (_heap.TryDequeue(out long p, out var key))
            {
                long current = _count.GetValueOrDefault(p);
                if (current != key.Count)
                {
                    if (current > 0) _heap.Enqueue(p, Key(p, current)); // stale entry: requeue with the true count
                    continue;
                }
                if (current < minFrequency) return false;
                int a = (int)(p >> 32), b = (int)p;
                merge = (_symbol[a], _symbol[b]);
                string s = _symbol[a] + _symbol[b];
                if (!_ids.TryGetValue(s, out int id))
                {
                    id = _symbol.Count;
                    _symbol.Add(s);
                    _rank.Add(256 + Created);
                    _ids[s] = id;
                    Created++;
                }
                Apply(p, a, b, id);
                return true;
            }
            return false;
        }

        private void Apply(long p, int a, int b, int id)
        {
            var words = _where[p];
            _where.Remove(p);
            _stamp++;
            var touched = new HashSet<long>();
            foreach (int w in words)
            {
                if (_seen[w] == _stamp) continue;
                _seen[w] = _stamp;
                var sym = _words[w];
                int n = _len[w];
                long f = _freq[w];
                // Only the pairs that overlap a merge change (as HF's Word::merge): recounting the whole piece made a
                // long unbroken piece (a base64 or DNA line) cost its length in dictionary updates at every merge.
                // Old pairs j ∈ {i−1, i, i+1} of each merge at i go (each once: merges ≥ 2 apart may share j = i+1).
                int merged = 0, lastJ = -1;
                for (int i = 0; i + 1 < n; i++)
                {
                    if (sym[i] != a || sym[i + 1] != b) continue;
                    for (int j = Math.Max(i - 1, lastJ + 1); j <= i + 1 && j + 1 < n; j++) _count[Pair(sym[j], sym[j + 1])] -= f;
                    lastJ = i + 1;
                    merged++;
                    i++; // left to right, non-overlapping
                }
                if (merged == 0) continue; // a stale entry: an earlier merge took the pair apart here
                int o = 0;
                for (int i = 0; i < n; i++)
                {
                    if (i + 1 < n && sym[i] == a && sym[i + 1] == b) { sym[o++] = id; i++; }
                    else sym[o++] = sym[i];
                }
                _len[w] = n = o;
                // New pairs k−1 and k of each merged symbol at k (each once: adjacent merged symbols share one).
                int lastK = -1;
                for (int k = 0; k < n; k++)
                {
                    if (sym[k] != id) continue;
                    for (int j = Math.Max(k - 1, lastK + 1); j <= k && j + 1 < n; j++)
                    {
                        long q = Pair(sym[j], sym[j + 1]);
                        _count[q] = _count.GetValueOrDefault(q) + f;
                        AddWhere(q, w);
                        touched.Add(q);
                    }
                    lastK = k;
                }
            }
            foreach (long q in touched.Order())
                if (_count[q] > 0) _heap.Enqueue(q, Key(q, _count[q]));
        }
    }

    /// <summary>Max-heap order: higher count first, then the smaller (rank a, rank b).</summary>
    private sealed class HeapOrder : IComparer<(long Count, int RankA, int RankB)>
    {
        public static readonly HeapOrder Instance = new();

        public int Compare((long Count, int RankA, int RankB) x, (long Count, int RankA, int RankB) y)
        {
            if (x.Count != y.Count) return y.Count.CompareTo(x.Count);
            if (x.RankA != y.RankA) return x.RankA.CompareTo(y.RankA);
            return x.RankB.CompareTo(y.RankB);
        }
    }
}
