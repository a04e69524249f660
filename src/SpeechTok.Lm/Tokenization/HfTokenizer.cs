using SpeechTok.IO;
using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SpeechTok.Lm.Tokenization;

/// <summary>
/// A Hugging Face <c>tokenizer.json</c> with a BPE model, run the way the HF <c>tokenizers</c> engine runs it:
/// added tokens without normalisation split out of the raw text; each remaining segment normalised
/// (<c>NFC</c>/<c>NFKC</c>/…, <c>Prepend</c>, <c>Replace</c>, <c>Strip</c>); normalised added tokens split out;
/// the pre-tokenizer steps (<c>Split</c>, <c>ByteLevel</c>, <c>Metaspace</c>, <c>Digits</c>); BPE (byte-level, or
/// SentencePiece-style with <c>byte_fallback</c>); the <c>TemplateProcessing</c> post-processor; and the decoder
/// steps. Covers the GPT-2, Llama-3, SmolLM2, Qwen2/2.5/3, Llama-2/TinyLlama, Mistral and Gemma layouts.
/// Encoding is thread-safe; <see cref="AddTokens"/> must not run concurrently with it.
/// </summary>
public sealed class HfTokenizer
{
    private readonly BpeModel _model;
    private readonly AddedVocabulary _added;
    private readonly Func<string, string>? _normalizer;
    private readonly List<PreTokenizerStep> _preTokenizer;
    private readonly bool _byteLevel; // the last pre-tokenizer step is ByteLevel: pieces reach the model byte-mapped
    private readonly List<Func<List<string>, List<string>>>? _decoder; // null: tokens joined with spaces
    private readonly (int[] Ids, bool IsSequence)[]? _template; // TemplateProcessing "single"
    private readonly string _source;
    private readonly byte[] _json; // the file as loaded, for Save

    /// <summary>Id prepended by <see cref="EncodeWithBos"/>, or null when the tokenizer names none.</summary>
    public int? BosId { get; }

    /// <summary>Id of the padding token once one is added with <see cref="AddPadToken"/>.</summary>
    public int? PadId { get; private set; }

    /// <summary>Rows an embedding matrix needs: the largest id (model vocab or added token) + 1.</summary>
    public int VocabSize => Math.Max(Math.Max(_model.VocabCount, _model.IdCount), _added.MaxId + 1);

    /// <summary><see cref="VocabSize"/> of tokenizer.json as written, before a <c>pad_token</c> that only tokenizer_config.json
    /// names is added (HF adds such a token too; the model's embedding table need not have its row).</summary>
    public int FileVocabSize { get; }

    public IReadOnlyList<AddedToken> AddedTokens => _added.Tokens;

    /// <summary>Whether the post-processor adds tokens when <c>addSpecialTokens</c> is true (HF semantics).</summary>
    public bool HasTemplate => _template != null;

    /// <summary>The file's <c>ignore_merges</c>; switchable for tests that compare with plain BPE.</summary>
    internal bool IgnoreMerges { get; set; }

    private HfTokenizer(byte[] json, JsonElement root, string source, string? bosToken, TokenizerConfig config)
    {
        _json = json;
        _source = source;
        var reader = new TokenizerJson(source);
        _model = reader.ReadModel(TokenizerJson.Required(root, "model", source));
        IgnoreMerges = _model.IgnoreMerges;

        if (root.TryGetProperty("normalizer", out var norm)) _normalizer = reader.ReadNormalizer(norm, "normalizer");
        _added = new AddedVocabulary(_normalizer);
        // HF's deserializer re-adds the file's added tokens in order with add_tokens: a token whose content is in
        // the model vocab takes that id, the others take the next free ids; the "id" fields are not used.
        if (root.TryGetProperty("added_tokens", out var added) && added.ValueKind == JsonValueKind.Array)
        {
            int k = 0;
            foreach (var t in added.EnumerateArray())
            {
                string where = $"{source}: added_tokens[{k++}]";
                TokenizerJson.ReadInt(t, "id", where);
                AddToken(new AddedToken(
                    TokenizerJson.ReadString(t, "content", where), -1,
                    TokenizerJson.ReadBool(t, "special", where, false), TokenizerJson.ReadBool(t, "normalized", where, false),
                    TokenizerJson.ReadBool(t, "lstrip", where, false), TokenizerJson.ReadBool(t, "rstrip", where, false),
                    TokenizerJson.ReadBool(t, "single_word", where, false)));
            }
        }

        _preTokenizer = [];
        if (root.TryGetProperty("pre_tokenizer", out var pre) && pre.ValueKind != JsonValueKind.Null)
            reader.ReadPreTokenizer(pre, "pre_tokenizer", _preTokenizer, ref _byteLevel);

        if (root.TryGetProperty("decoder", out var dec) && dec.ValueKind != JsonValueKind.Null)
        {
            _decoder = [];
            reader.ReadDecoder(dec, "decoder", _decoder);
        }

        if (root.TryGetProperty("post_processor", out var post) && post.ValueKind != JsonValueKind.Null)
            _template = reader.ReadPostProcessor(post, "post_processor");
        if (_template?.SelectMany(t => t.Ids).FirstOrDefault(id => id >= VocabSize, -1) is int outside and >= 0)
            throw new SpeechTokException($"{source}: post_processor: special token id {outside} is outside the vocabulary ({VocabSize} ids)");

        string? bos = bosToken ?? config.BosToken;
        // add_bos_token false: transformers rebuilds the template as "$A" (add_eos_token is not followed), so it adds nothing.
        if (bosToken == null && config.DropsBos) (bos, _template) = (null, null);
        else if (bos != null)
            BosId = TokenToId(bos) ?? throw new SpeechTokException($"{source}: BOS token '{bos}'"
                + (bosToken == null ? " (tokenizer_config.json's bos_token) is not in the vocabulary: the tokenizer files belong to different models" : " is not in the vocabulary"));
        else if (_template is { Length: > 0 } && !_template[0].IsSequence && _template[0].Ids.Length == 1)
            BosId = _template[0].Ids[0];
        // transformers adds a pad_token named in tokenizer_config.json that the vocabulary lacks; so do we.
        FileVocabSize = VocabSize;
        if (config.PadToken != null) AddPadToken(config.PadToken);
    }

    private HfTokenizer(HfTokenizer other)
    {
        _source = other._source;
        _json = other._json;
        _model = other._model;
        _normalizer = other._normalizer;
        _preTokenizer = other._preTokenizer;
        _byteLevel = other._byteLevel;
        _decoder = other._decoder;
        _template = other._template;
        BosId = other.BosId;
        PadId = other.PadId;
        FileVocabSize = other.FileVocabSize;
        IgnoreMerges = other.IgnoreMerges;
        _added = other._added.Clone();
    }

    /// <summary>A copy whose added tokens change independently (the BPE model, read-only, is shared).</summary>
    public HfTokenizer Clone() => new(this);

    /// <summary>Loads <c>tokenizer.json</c> (a file, or a folder holding one). The BOS token is
    /// <paramref name="bosToken"/>, else <c>bos_token</c> of a sibling <c>tokenizer_config.json</c>, else the
    /// first special token of the TemplateProcessing post-processor, else none (Qwen2.5: <c>bos_token: null</c>);
    /// none either when that file says <c>add_bos_token: false</c> for a tokenizer class that obeys it (Llama, CodeLlama,
    /// Gemma, or no <c>tokenizer_class</c>), as transformers' <c>update_post_processor</c> then drops BOS from the template.
    /// The pad token is that file's <c>pad_token</c>, when it names one.</summary>
    public static HfTokenizer Load(string path, string? bosToken = null)
    {
        string file = Directory.Exists(path) ? Path.Combine(path, "tokenizer.json") : path;
        if (!File.Exists(file)) throw new SpeechTokException($"tokenizer file '{file}' not found");
        var config = TokenizerConfig.Read(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(file))!, "tokenizer_config.json"));
        var bytes = File.ReadAllBytes(file);
        using var doc = Parse(bytes, file);
        return new HfTokenizer(bytes, doc.RootElement, file, bosToken, config);
    }

    /// <summary>Builds a tokenizer from the text of a <c>tokenizer.json</c>.</summary>
    public static HfTokenizer FromJson(string json, string source = "tokenizer.json", string? bosToken = null)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        using var doc = Parse(bytes, source);
        return new HfTokenizer(bytes, doc.RootElement, source, bosToken, new TokenizerConfig(null, null));
    }

    private static JsonDocument Parse(byte[] bytes, string source)
    {
        // JsonDocument accepts invalid UTF-8 inside strings and fails only when one is read: check it all up front.
        if (!System.Text.Unicode.Utf8.IsValid(bytes)) throw new SpeechTokException($"{source}: not valid UTF-8 text");
        try { return JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 256 }); }
        catch (JsonException e) { throw new SpeechTokException($"{source}: invalid JSON at line {e.LineNumber + 1}: {e.Message}", e); }
    }

    /// <summary>What transformers reads from <c>tokenizer_config.json</c> here: <c>bos_token</c> and <c>pad_token</c>
    /// (a string or an AddedToken object; null or absent: none), and whether <c>add_bos_token: false</c> removes BOS
    /// (<see cref="DropsBos"/>). <c>add_eos_token</c> is not read: serialisation never ends a text with EOS.</summary>
    private sealed record TokenizerConfig(string? BosToken, string? PadToken, bool DropsBos = false)
    {
        /// <summary>The transformers classes whose <c>update_post_processor</c> rebuilds the template from add_bos_token /
        /// add_eos_token (LlamaTokenizerFast and the classes copied from it); PreTrainedTokenizerFast, GPT-2 and Qwen2 keep tokenizer.json's.</summary>
        private static readonly string[] ObeyAddBos =
            ["LlamaTokenizer", "LlamaTokenizerFast", "CodeLlamaTokenizer", "CodeLlamaTokenizerFast", "GemmaTokenizer", "GemmaTokenizerFast"];

        public static TokenizerConfig Read(string path)
        {
            if (!File.Exists(path)) return new TokenizerConfig(null, null);
            using var doc = Parse(File.ReadAllBytes(path), path);
            var root = doc.RootElement;
            bool noBos = root.TryGetProperty("add_bos_token", out var add) && add.ValueKind == JsonValueKind.False;
            string? cls = root.TryGetProperty("tokenizer_class", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
            return new TokenizerConfig(Token(root, "bos_token"), Token(root, "pad_token"), noBos && (cls == null || ObeyAddBos.Contains(cls)));
        }

        private static string? Token(JsonElement root, string name) =>
            !root.TryGetProperty(name, out var b) ? null : b.ValueKind switch
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

    /// <summary><see cref="BosId"/> (when the tokenizer has one) followed by the ids of <paramref name="text"/>:
    /// what the reference pipeline feeds the model (Llama-3.x: <c>tokenizer(text)</c> with add_special_tokens;
    /// Qwen2.5, whose tokenizer has no BOS: the text's ids alone).</summary>
    public int[] EncodeWithBos(string text)
    {
        var ids = new List<int>();
        if (BosId is int bos) ids.Add(bos);
        EncodeTo(text, ids);
        return ids.ToArray();
    }

    /// <summary>Appends the ids of <paramref name="text"/> (no special tokens added). A lone UTF-16 surrogate is
    /// read as U+FFFD (a Rust <c>String</c> cannot hold one).</summary>
    public void EncodeTo(string text, List<int> ids)
    {
        text = ReplaceLoneSurrogates(text);
        var segments = new List<(Range Range, int Id)>();
        var inner = new List<(Range Range, int Id)>();
        var pieces = new List<Piece>();
        var next = new List<Piece>();
        _added.SplitRaw(text, segments);
        foreach (var (range, id) in segments)
        {
            if (id >= 0) { ids.Add(id); continue; }
            var (start, end) = (range.Start.Value, range.End.Value);
            string s = text;
            if (_normalizer != null)
            {
                s = _normalizer(text[start..end]);
                (start, end) = (0, s.Length);
            }
            inner.Clear();
            _added.SplitNormalized(s, start, end, inner);
            foreach (var (r, innerId) in inner)
            {
                if (innerId >= 0) { ids.Add(innerId); continue; }
                pieces.Clear();
                pieces.Add(new Piece(s, r.Start.Value, r.End.Value, range.Start.Value == 0 && r.Start.Value == start));
                foreach (var step in _preTokenizer)
                {
                    next.Clear();
                    foreach (var p in pieces) step.Split(p, next);
                    (pieces, next) = (next, pieces);
                }
                foreach (var p in pieces) TokenizePiece(p.Span, ids);
            }
        }
    }

    private void TokenizePiece(ReadOnlySpan<char> piece, List<int> ids)
    {
        if (!_byteLevel)
        {
            _model.Tokenize(piece, IgnoreMerges, ids);
            return;
        }
        int max = Encoding.UTF8.GetMaxByteCount(piece.Length);
        byte[]? rented = null;
        Span<byte> buf = max <= 1024 ? stackalloc byte[max] : (rented = ArrayPool<byte>.Shared.Rent(max));
        int n = Encoding.UTF8.GetBytes(piece, buf);
        char[]? rentedChars = null;
        Span<char> mapped = n <= 1024 ? stackalloc char[n] : (rentedChars = ArrayPool<char>.Shared.Rent(n)).AsSpan(0, n);
        for (int k = 0; k < n; k++) mapped[k] = ByteLevel.ByteToChar[buf[k]];
        _model.Tokenize(mapped, IgnoreMerges, ids);
        if (rented != null) ArrayPool<byte>.Shared.Return(rented);
        if (rentedChars != null) ArrayPool<char>.Shared.Return(rentedChars);
    }

    private static string ReplaceLoneSurrogates(string text)
    {
        int k = text.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF');
        if (k < 0) return text;
        var chars = text.ToCharArray();
        for (int i = k; i < chars.Length; i++)
        {
            if (char.IsHighSurrogate(chars[i]) && i + 1 < chars.Length && char.IsLowSurrogate(chars[i + 1])) { i++; continue; }
            if (char.IsSurrogate(chars[i])) chars[i] = '\uFFFD';
        }
        return new string(chars);
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
    public int[] AddTokens(IEnumerable<string> tokens, bool special) =>
        tokens.Select(content => AddToken(new AddedToken(content, -1, special, Normalized: !special))).ToArray();

    // HF AddedVocabulary::add_tokens for one token: an empty one is refused, a known content keeps its id (added
    // again as special, it becomes special and matched on the raw text), a model-vocab content takes the vocab id,
    // anything else the next id after the vocab and the added tokens.
    private int AddToken(AddedToken token)
    {
        if (string.IsNullOrEmpty(token.Content)) throw new SpeechTokException($"{_source}: cannot add an empty token");
        var existing = _added.ByContent(token.Content);
        if (existing != null)
        {
            if (token.Special && !existing.Special) _added.Set(existing with { Special = true, Normalized = false });
            return existing.Id;
        }
        int id = _model.TokenToId(token.Content) ?? (_added.MaxId >= _model.VocabCount ? _added.MaxId + 1 : _model.VocabCount);
        _added.Set(token with { Id = id });
        return id;
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

    /// <summary>HF <c>decode</c>: the token strings (added tokens' contents; with <paramref name="skipSpecialTokens"/>,
    /// tokens whose content is a special added token are dropped) through the file's decoder steps, concatenated
    /// (no decoder: joined with spaces). <paramref name="cleanUpTokenizationSpaces"/> applies transformers'
    /// clean-up (" ." → "." …). An id outside the vocabulary throws.</summary>
    public string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens = false, bool cleanUpTokenizationSpaces = false)
    {
        var tokens = new List<string>(ids.Length);
        foreach (int id in ids)
        {
            string token = IdToToken(id);
            if (skipSpecialTokens && _added.ByContent(token)?.Special == true) continue;
            tokens.Add(token);
        }
        string s;
        if (_decoder == null) s = string.Join(' ', tokens);
        else
        {
            foreach (var step in _decoder) tokens = step(tokens);
            s = string.Concat(tokens);
        }
        if (cleanUpTokenizationSpaces)
        {
            s = s.Replace(" .", ".").Replace(" ?", "?").Replace(" !", "!").Replace(" ,", ",").Replace(" ' ", "'")
                .Replace(" n't", "n't").Replace(" 'm", "'m").Replace(" 's", "'s").Replace(" 've", "'ve").Replace(" 're", "'re");
        }
        return s;
    }
}
