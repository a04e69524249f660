using SpeechTok.IO;
using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SpeechTok.Lm.Tokenization;

/// <summary>
/// A Hugging Face <c>tokenizer.json</c> with a byte-level BPE model and no normalizer (GPT-2, Llama-3, SmolLM2 layouts):
/// added tokens split out first, the split pre-tokenizer over Unicode code points, BPE with
/// <c>ignore_merges</c>, the <c>TemplateProcessing</c> post-processor and the ByteLevel decoder.
/// Encoding is thread-safe; <see cref="AddTokens"/> must not run concurrently with it.
/// </summary>
public sealed class HfTokenizer
{
    private readonly BpeModel _model;
    private readonly AddedVocabulary _added;
    private readonly List<PreTokenizerStep> _preTokenizer;
    private readonly (int[] Ids, bool IsSequence)[]? _template; // TemplateProcessing "single"
    private readonly string _source;
    private readonly byte[] _json; // the file as loaded, for Save

    /// <summary>Id prepended by <see cref="EncodeWithBos"/>, or null when the tokenizer names none.</summary>
    public int? BosId { get; }

    /// <summary>Id of the padding token once one is added with <see cref="AddPadToken"/>.</summary>
    public int? PadId { get; private set; }

    /// <summary>Rows an embedding matrix needs: the largest id (model vocab or added token) + 1.</summary>
    public int VocabSize => Math.Max(_model.VocabCount, _added.MaxId + 1);

    public IReadOnlyList<AddedToken> AddedTokens => _added.Tokens;

    /// <summary>Whether the post-processor adds tokens when <c>addSpecialTokens</c> is true (HF semantics).</summary>
    public bool HasTemplate => _template != null;

    /// <summary>The file's <c>ignore_merges</c>; switchable for tests that compare with plain BPE.</summary>
    internal bool IgnoreMerges { get; set; }

    private HfTokenizer(byte[] json, JsonElement root, string source, string? bosToken, string? configBosToken)
    {
        _json = json;
        _source = source;
        _model = ReadModel(Required(root, "model", source), source);
        IgnoreMerges = _model.IgnoreMerges;
        _added = new AddedVocabulary();

        if (root.TryGetProperty("added_tokens", out var added) && added.ValueKind == JsonValueKind.Array)
        {
            int k = 0;
            foreach (var t in added.EnumerateArray())
            {
                string where = $"{source}: added_tokens[{k++}]";
                _added.Set(new AddedToken(
                    ReadString(t, "content", where), ReadInt(t, "id", where),
                    ReadBool(t, "special", where, false), ReadBool(t, "normalized", where, false),
                    ReadBool(t, "lstrip", where, false), ReadBool(t, "rstrip", where, false), ReadBool(t, "single_word", where, false)));
            }
        }

        if (root.TryGetProperty("normalizer", out var norm) && norm.ValueKind != JsonValueKind.Null)
            throw new SpeechTokException($"{source}: normalizer '{TypeOf(norm)}' is not supported (only null)");

        _preTokenizer = [];
        bool byteLevel = false;
        if (root.TryGetProperty("pre_tokenizer", out var pre) && pre.ValueKind != JsonValueKind.Null)
            ReadPreTokenizer(pre, "pre_tokenizer", ref byteLevel);
        if (!byteLevel)
            throw new SpeechTokException($"{source}: pre_tokenizer has no ByteLevel step; only byte-level BPE tokenizers are supported");

        if (!root.TryGetProperty("decoder", out var dec) || dec.ValueKind == JsonValueKind.Null || TypeOf(dec) != "ByteLevel")
            throw new SpeechTokException($"{source}: decoder must be ByteLevel (found '{(dec.ValueKind == JsonValueKind.Object ? TypeOf(dec) : "null")}')");

        if (root.TryGetProperty("post_processor", out var post) && post.ValueKind != JsonValueKind.Null)
            _template = ReadPostProcessor(post, "post_processor");

        string? bos = bosToken ?? configBosToken;
        if (bos != null)
            BosId = TokenToId(bos) ?? throw new SpeechTokException($"{source}: BOS token '{bos}' is not in the vocabulary");
        else if (_template is { Length: > 0 } && !_template[0].IsSequence && _template[0].Ids.Length == 1)
            BosId = _template[0].Ids[0];
    }

    private HfTokenizer(HfTokenizer other)
    {
        _source = other._source;
        _json = other._json;
        _model = other._model;
        _preTokenizer = other._preTokenizer;
        _template = other._template;
        BosId = other.BosId;
        PadId = other.PadId;
        IgnoreMerges = other.IgnoreMerges;
        _added = other._added.Clone();
    }

    /// <summary>A copy whose added tokens change independently (the BPE model, read-only, is shared).</summary>
    public HfTokenizer Clone() => new(this);

    /// <summary>Loads <c>tokenizer.json</c> (a file, or a folder holding one). The BOS token is
    /// <paramref name="bosToken"/>, else <c>bos_token</c> of a sibling <c>tokenizer_config.json</c>, else the
    /// first special token of the TemplateProcessing post-processor.</summary>
    public static HfTokenizer Load(string path, string? bosToken = null)
    {
        string file = Directory.Exists(path) ? Path.Combine(path, "tokenizer.json") : path;
        if (!File.Exists(file)) throw new SpeechTokException($"tokenizer file '{file}' not found");
        string? configBos = null;
        string config = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(file))!, "tokenizer_config.json");
        if (bosToken == null && File.Exists(config)) configBos = ReadConfigBos(config);
        var bytes = File.ReadAllBytes(file);
        using var doc = Parse(bytes, file);
        return new HfTokenizer(bytes, doc.RootElement, file, bosToken, configBos);
    }

    /// <summary>Builds a tokenizer from the text of a <c>tokenizer.json</c>.</summary>
    public static HfTokenizer FromJson(string json, string source = "tokenizer.json", string? bosToken = null)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        using var doc = Parse(bytes, source);
        return new HfTokenizer(bytes, doc.RootElement, source, bosToken, null);
    }

    private static JsonDocument Parse(byte[] bytes, string source)
    {
        try { return JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 256 }); }
        catch (JsonException e) { throw new SpeechTokException($"{source}: invalid JSON at line {e.LineNumber + 1}: {e.Message}", e); }
    }

    private static string? ReadConfigBos(string config)
    {
        using var doc = Parse(File.ReadAllBytes(config), config);
        if (!doc.RootElement.TryGetProperty("bos_token", out var b)) return null;
        return b.ValueKind switch
        {
            JsonValueKind.String => b.GetString(),
            JsonValueKind.Object when b.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String => c.GetString(),
            _ => null,
        };
    }

    // ---------------------------------------------------------------- encode

    /// <summary>Token ids of <paramref name="text"/>. With <paramref name="addSpecialTokens"/>, the
    /// post-processor's template is applied as HF does (nothing when the file has no TemplateProcessing).</summary>
    public int[] Encode(string text, bool addSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>();
        if (!addSpecialTokens || _template == null)
        {
            EncodeTo(text, ids);
            return ids.ToArray();
        }
        foreach (var (tids, isSeq) in _template)
        {
            if (isSeq) EncodeTo(text, ids);
            else ids.AddRange(tids);
        }
        return ids.ToArray();
    }

    /// <summary><see cref="BosId"/> followed by the ids of <paramref name="text"/>: what the reference pipeline
    /// feeds the model (Llama-3.x: <c>tokenizer(text)</c> with add_special_tokens).</summary>
    public int[] EncodeWithBos(string text)
    {
        int bos = BosId ?? throw new SpeechTokException($"{_source}: no BOS token (no TemplateProcessing post-processor, no bos_token in tokenizer_config.json); pass bosToken when loading");
        var ids = new List<int> { bos };
        EncodeTo(text, ids);
        return ids.ToArray();
    }

    /// <summary>Appends the ids of <paramref name="text"/> (no special tokens added).</summary>
    public void EncodeTo(string text, List<int> ids)
    {
        var pieces = new List<Range>();
        var next = new List<Range>();
        foreach (var (range, id) in _added.Split(text))
        {
            if (id >= 0) { ids.Add(id); continue; }
            pieces.Clear();
            pieces.Add(range);
            foreach (var step in _preTokenizer)
            {
                next.Clear();
                foreach (var p in pieces) step.Split(text, p.Start.Value, p.End.Value, next);
                (pieces, next) = (next, pieces);
            }
            foreach (var p in pieces) TokenizePiece(text.AsSpan(p.Start.Value, p.End.Value - p.Start.Value), ids);
        }
    }

    private void TokenizePiece(ReadOnlySpan<char> piece, List<int> ids)
    {
        int max = Encoding.UTF8.GetMaxByteCount(piece.Length);
        byte[]? rented = null;
        Span<byte> buf = max <= 1024 ? stackalloc byte[max] : (rented = ArrayPool<byte>.Shared.Rent(max));
        int n = Encoding.UTF8.GetBytes(piece, buf); // a lone surrogate becomes U+FFFD, as in Rust's String
        _model.Tokenize(buf[..n], IgnoreMerges, ids);
        if (rented != null) ArrayPool<byte>.Shared.Return(rented);
    }

    // ---------------------------------------------------------------- vocabulary

    public int? TokenToId(string token) => _added.ByContent(token)?.Id ?? _model.TokenToId(token);

    public string IdToToken(int id) =>
        _added.ById(id)?.Content ?? _model.IdToToken(id)
        ?? throw new SpeechTokException($"{_source}: token id {id} is not in the vocabulary (size {VocabSize})");

    public bool IsSpecial(int id) => _added.ById(id)?.Special ?? false;

    /// <summary>
    /// HF <c>add_tokens</c> (<paramref name="special"/> false: <c>normalized=true</c>) or
    /// <c>add_special_tokens</c> (true: <c>normalized=false</c>). New tokens get ids after the current
    /// vocabulary; a token already known keeps its id (re-adding an added token as special marks it special).
    /// Returns the id of each token.
    /// </summary>
    public int[] AddTokens(IEnumerable<string> tokens, bool special)
    {
        var ids = new List<int>();
        foreach (var content in tokens)
        {
            if (string.IsNullOrEmpty(content)) throw new SpeechTokException("cannot add an empty token");
            var existing = _added.ByContent(content);
            if (existing != null)
            {
                if (special && !existing.Special) _added.Set(existing with { Special = true, Normalized = false });
                ids.Add(existing.Id);
                continue;
            }
            int id = _model.TokenToId(content) ?? (_added.MaxId >= _model.VocabCount ? _added.MaxId + 1 : _model.VocabCount);
            _added.Set(new AddedToken(content, id, special, Normalized: !special));
            ids.Add(id);
        }
        return ids.ToArray();
    }

    /// <summary>Adds (or finds) the padding token as a special token, like
    /// <c>add_special_tokens({'pad_token': content})</c>, and returns its id.</summary>
    public int AddPadToken(string content = "[PAD]")
    {
        int id = AddTokens([content], special: true)[0];
        PadId = id;
        return id;
    }

    /// <summary>Writes the tokenizer.json with the current added tokens (everything else as loaded), atomically,
    /// so that HF (<c>Tokenizer.from_file</c>, <c>AutoTokenizer</c>) reproduces the extended vocabulary.</summary>
    public void Save(string path)
    {
        var root = JsonNode.Parse(_json)!.AsObject();
        var added = new JsonArray();
        foreach (var t in _added.Tokens.OrderBy(t => t.Id))
        {
            added.Add(new JsonObject
            {
                ["id"] = t.Id, ["content"] = t.Content, ["single_word"] = t.SingleWord, ["lstrip"] = t.Lstrip,
                ["rstrip"] = t.Rstrip, ["normalized"] = t.Normalized, ["special"] = t.Special,
            });
        }
        root["added_tokens"] = added;
        AtomicFile.WriteAllText(path, root.ToJsonString(new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
    }

    // ---------------------------------------------------------------- decode

    /// <summary>HF <c>decode</c>: token strings, byte-level decoded, UTF-8 (invalid bytes → U+FFFD).
    /// <paramref name="cleanUpTokenizationSpaces"/> applies transformers' clean-up (" ." → "." …).</summary>
    public string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens = false, bool cleanUpTokenizationSpaces = false)
    {
        var bytes = new List<byte>(ids.Length * 4);
        foreach (int id in ids)
        {
            var added = _added.ById(id);
            if (added != null && skipSpecialTokens && added.Special) continue;
            ByteLevel.AppendTokenBytes(added?.Content ?? IdToToken(id), bytes);
        }
        string s = Encoding.UTF8.GetString(CollectionsMarshal.AsSpan(bytes));
        if (cleanUpTokenizationSpaces)
        {
            s = s.Replace(" .", ".").Replace(" ?", "?").Replace(" !", "!").Replace(" ,", ",").Replace(" ' ", "'")
                .Replace(" n't", "n't").Replace(" 'm", "'m").Replace(" 's", "'s").Replace(" 've", "'ve").Replace(" 're", "'re");
        }
        return s;
    }

    // ---------------------------------------------------------------- tokenizer.json parsing

    private static BpeModel ReadModel(JsonElement m, string source)
    {
        string where = source + ": model";
        string type = m.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "BPE";
        if (type != "BPE") throw new SpeechTokException($"{where}.type '{type}' is not supported (only BPE)");
        if (m.TryGetProperty("dropout", out var d) && d.ValueKind == JsonValueKind.Number && d.GetDouble() != 0)
            throw new SpeechTokException($"{where}.dropout {d.GetDouble()} is not supported (training-time randomness)");
        foreach (var name in new[] { "continuing_subword_prefix", "end_of_word_suffix" })
            if (m.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && v.GetString()!.Length > 0)
                throw new SpeechTokException($"{where}.{name} '{v.GetString()}' is not supported");
        if (ReadBool(m, "byte_fallback", where, false))
            throw new SpeechTokException($"{where}.byte_fallback true is not supported (byte-level BPE needs no fallback)");

        var vocabEl = Required(m, "vocab", where);
        if (vocabEl.ValueKind != JsonValueKind.Object) throw new SpeechTokException($"{where}.vocab must be an object");
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var p in vocabEl.EnumerateObject())
        {
            if (p.Value.ValueKind != JsonValueKind.Number || !p.Value.TryGetInt32(out int id))
                throw new SpeechTokException($"{where}.vocab['{p.Name}'] is not an integer id");
            vocab[p.Name] = id;
        }

        var merges = new List<(string, string)>();
        if (m.TryGetProperty("merges", out var mergesEl) && mergesEl.ValueKind == JsonValueKind.Array)
        {
            int r = 0;
            foreach (var e in mergesEl.EnumerateArray())
            {
                if (e.ValueKind == JsonValueKind.String)
                {
                    var parts = e.GetString()!.Split(' ');
                    if (parts.Length != 2) throw new SpeechTokException($"{where}.merges[{r}] '{e.GetString()}' is not two tokens separated by one space");
                    merges.Add((parts[0], parts[1]));
                }
                else if (e.ValueKind == JsonValueKind.Array && e.GetArrayLength() == 2 && e[0].ValueKind == JsonValueKind.String && e[1].ValueKind == JsonValueKind.String)
                    merges.Add((e[0].GetString()!, e[1].GetString()!));
                else throw new SpeechTokException($"{where}.merges[{r}] must be \"a b\" or [\"a\", \"b\"]");
                r++;
            }
        }

        string? unk = m.TryGetProperty("unk_token", out var u) && u.ValueKind == JsonValueKind.String ? u.GetString() : null;
        return new BpeModel(vocab, merges, ReadBool(m, "ignore_merges", where, false), unk, source);
    }

    private void ReadPreTokenizer(JsonElement p, string where, ref bool byteLevel)
    {
        string type = TypeOf(p);
        switch (type)
        {
            case "Sequence":
            {
                int k = 0;
                foreach (var s in Required(p, "pretokenizers", where).EnumerateArray()) ReadPreTokenizer(s, $"{where}.pretokenizers[{k++}]", ref byteLevel);
                break;
            }
            case "Split":
            {
                var pat = Required(p, "pattern", where);
                if (!pat.TryGetProperty("Regex", out var re) || re.ValueKind != JsonValueKind.String)
                    throw new SpeechTokException($"{_source}: {where}.pattern: only Regex patterns are supported");
                string behavior = p.TryGetProperty("behavior", out var b) ? b.GetString() ?? "" : "";
                if (behavior != "Isolated" || ReadBool(p, "invert", where, false))
                    throw new SpeechTokException($"{_source}: {where}: Split behavior '{behavior}' (invert {ReadBool(p, "invert", where, false)}) is not supported (only Isolated, invert false)");
                string pattern = re.GetString()!;
                _preTokenizer.Add(PatternScanner.ForPattern(pattern) ?? (PreTokenizerStep)new RegexSplitter(pattern));
                break;
            }
            case "ByteLevel":
                if (ReadBool(p, "add_prefix_space", where, false))
                    throw new SpeechTokException($"{_source}: {where}: ByteLevel add_prefix_space true is not supported");
                if (ReadBool(p, "use_regex", where, true)) _preTokenizer.Add(PatternScanner.ForPattern(PatternScanner.Gpt2Pattern)!);
                byteLevel = true;
                break;
            case "Digits":
                _preTokenizer.Add(new DigitsSplitter(ReadBool(p, "individual_digits", where, false)));
                break;
            default:
                throw new SpeechTokException($"{_source}: {where}: pre-tokenizer '{type}' is not supported");
        }
    }

    private (int[] Ids, bool IsSequence)[]? ReadPostProcessor(JsonElement p, string where)
    {
        string type = TypeOf(p);
        switch (type)
        {
            case "ByteLevel":
                return null; // only adjusts offsets
            case "Sequence":
            {
                (int[], bool)[]? template = null;
                int k = 0;
                foreach (var s in Required(p, "processors", where).EnumerateArray())
                {
                    var t = ReadPostProcessor(s, $"{where}.processors[{k++}]");
                    if (t != null && template != null) throw new SpeechTokException($"{_source}: {where}: more than one TemplateProcessing is not supported");
                    template ??= t;
                }
                return template;
            }
            case "TemplateProcessing":
            {
                var specials = new Dictionary<string, int[]>(StringComparer.Ordinal);
                if (p.TryGetProperty("special_tokens", out var st) && st.ValueKind == JsonValueKind.Object)
                    foreach (var e in st.EnumerateObject())
                        specials[e.Name] = Required(e.Value, "ids", $"{where}.special_tokens.{e.Name}").EnumerateArray().Select(x => x.GetInt32()).ToArray();
                var items = new List<(int[], bool)>();
                int k = 0;
                foreach (var item in Required(p, "single", where).EnumerateArray())
                {
                    string iw = $"{_source}: {where}.single[{k++}]";
                    if (item.TryGetProperty("Sequence", out var seq))
                    {
                        if (ReadString(seq, "id", iw) != "A") throw new SpeechTokException($"{iw}: only sequence A is supported");
                        items.Add(([], true));
                    }
                    else if (item.TryGetProperty("SpecialToken", out var sp))
                    {
                        string name = ReadString(sp, "id", iw);
                        items.Add((specials.TryGetValue(name, out var ids) ? ids : throw new SpeechTokException($"{iw}: special token '{name}' is not in special_tokens"), false));
                    }
                    else throw new SpeechTokException($"{iw}: expected Sequence or SpecialToken");
                }
                return items.ToArray();
            }
            default:
                throw new SpeechTokException($"{_source}: {where}: post-processor '{type}' is not supported");
        }
    }

    private static string TypeOf(JsonElement e) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "(no type)";

    private static JsonElement Required(JsonElement e, string name, string where) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) ? v : throw new SpeechTokException($"{where}: missing field '{name}'");

    private static string ReadString(JsonElement e, string name, string where)
    {
        var v = Required(e, name, where);
        return v.ValueKind == JsonValueKind.String ? v.GetString()! : throw new SpeechTokException($"{where}.{name} must be a string");
    }

    private static int ReadInt(JsonElement e, string name, string where)
    {
        var v = Required(e, name, where);
        return v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int i) && i >= 0 ? i : throw new SpeechTokException($"{where}.{name} must be a non-negative integer");
    }

    private static bool ReadBool(JsonElement e, string name, string where, bool fallback)
    {
        if (!e.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return fallback;
        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new SpeechTokException($"{where}.{name} must be true or false"),
        };
    }
}
