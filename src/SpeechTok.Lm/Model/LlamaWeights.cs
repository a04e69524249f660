using SpeechTok.Tensors;

namespace SpeechTok.Lm.Model;

/// <summary>
/// The frozen backbone (F32 or 16-bit, possibly memory-mapped) plus the trainable vocabulary extension:
/// rows appended after the base vocabulary, kept as small owned F32 matrices so the large tables are
/// never copied or given a full-size gradient.
/// </summary>
public sealed class LlamaWeights
{
    public LlamaConfig Config { get; }
    public Tensor EmbedTokens { get; private set; }
    /// <summary>Null when the output projection is tied to <see cref="EmbedTokens"/>.</summary>
    public Tensor? LmHead { get; private set; }
    public Tensor Norm { get; }
    public IReadOnlyList<LlamaLayerWeights> Layers { get; }

    /// <summary>Appended embedding rows [nNew, hidden] (F32), or null. Tied models also use them as output rows.</summary>
    public Tensor? NewEmbedRows { get; private set; }
    /// <summary>Appended lm_head rows of an untied model, or null.</summary>
    public Tensor? NewLmHeadRows { get; private set; }

    public int BaseVocabSize => EmbedTokens.Shape[0];
    public int NewRowCount => NewEmbedRows?.Shape[0] ?? 0;
    public int VocabSize => BaseVocabSize + NewRowCount;
    public Tensor OutputWeight => LmHead ?? EmbedTokens;
    /// <summary>Output rows for the new ids: the embedding rows when tied, the lm_head rows when not.</summary>
    public Tensor? NewOutputRows => Config.TieWordEmbeddings ? NewEmbedRows : NewLmHeadRows;

    private LlamaWeights(LlamaConfig config, Tensor embed, Tensor? lmHead, Tensor norm, LlamaLayerWeights[] layers)
    {
        Config = config;
        EmbedTokens = embed;
        LmHead = lmHead;
        Norm = norm;
        Layers = layers;
    }

    /// <summary>
    /// Takes every tensor by its HF name from <paramref name="get"/> (null = absent) and checks its shape.
    /// A missing tensor or a wrong shape throws, naming the tensor and both shapes, after <paramref name="source"/> (the
    /// model folder) when given.
    /// </summary>
    public static LlamaWeights Load(LlamaConfig c, Func<string, Tensor?> get, string? source = null) => Load(c, get, source, Prefix);

    /// <param name="prefix">What the backbone names start with in the checkpoint, in place of "model." (messages name them so).</param>
    private static LlamaWeights Load(LlamaConfig c, Func<string, Tensor?> get, string? source, string prefix)
    {
        int h = c.HiddenSize, qd = c.NumHeads * c.HeadDim, kd = c.NumKvHeads * c.HeadDim, im = c.IntermediateSize;
        string at = source == null ? "" : source + ": ";
        Tensor Need(string name, params int[] shape)
        {
            name = StoredName(name, prefix);
            var t = get(name) ?? throw new SpeechTokException($"{at}weight '{name}' (expected shape {ShapeMismatchException.Format(shape)}) is missing from the checkpoint");
            if (!t.Shape.AsSpan().SequenceEqual(shape))
                throw new ShapeMismatchException($"{at}weight '{name}': checkpoint shape {ShapeMismatchException.Format(t.Shape)} does not match the shape config.json gives it, {ShapeMismatchException.Format(shape)} "
                    + $"(hidden_size {c.HiddenSize}, intermediate_size {c.IntermediateSize}, heads {c.NumHeads} / {c.NumKvHeads} of head_dim {c.HeadDim}, vocab_size {c.VocabSize})");
            return t;
        }
        // Biases are tiny: keep them F32 so kernels can add them directly.
        Tensor? Opt(bool present, string name, params int[] shape) =>
            !present ? null : Need(name, shape) is var t && t.DType == DType.F32 ? t : t.ToF32();

        var embed = Need("model.embed_tokens.weight", c.VocabSize, h);
        Tensor? lmHead = c.TieWordEmbeddings ? null : Need("lm_head.weight", c.VocabSize, h);
        var layers = new LlamaLayerWeights[c.NumLayers];
        for (int l = 0; l < c.NumLayers; l++)
        {
            string p = $"model.layers.{l}.";
            layers[l] = new LlamaLayerWeights
            {
                QProj = Need(p + "self_attn.q_proj.weight", qd, h),
                KProj = Need(p + "self_attn.k_proj.weight", kd, h),
                VProj = Need(p + "self_attn.v_proj.weight", kd, h),
                OProj = Need(p + "self_attn.o_proj.weight", h, qd),
                QBias = Opt(c.QkvBias, p + "self_attn.q_proj.bias", qd),
                KBias = Opt(c.QkvBias, p + "self_attn.k_proj.bias", kd),
                VBias = Opt(c.QkvBias, p + "self_attn.v_proj.bias", kd),
                OBias = Opt(c.OBias, p + "self_attn.o_proj.bias", h),
                GateProj = Need(p + "mlp.gate_proj.weight", im, h),
                UpProj = Need(p + "mlp.up_proj.weight", im, h),
                DownProj = Need(p + "mlp.down_proj.weight", h, im),
                GateBias = Opt(c.MlpBias, p + "mlp.gate_proj.bias", im),
                UpBias = Opt(c.MlpBias, p + "mlp.up_proj.bias", im),
                DownBias = Opt(c.MlpBias, p + "mlp.down_proj.bias", h),
                InputLayerNorm = Need(p + "input_layernorm.weight", h),
                PostAttentionLayerNorm = Need(p + "post_attention_layernorm.weight", h),
            };
        }
        return new LlamaWeights(c, embed, lmHead, Need("model.norm.weight", h), layers);
    }

    /// <summary>
    /// <see cref="Load(LlamaConfig, Func{string, Tensor?}, string?)"/> from a safetensors checkpoint that must hold nothing else: a tensor the config does not use
    /// (a <c>num_hidden_layers</c> below the checkpoint's, say) is an error naming <paramref name="source"/>, where HF
    /// only warns "Some weights of the model checkpoint were not used". Ignored as HF does: the rotary
    /// <c>inv_freq</c> buffers older checkpoints saved, and <c>lm_head.weight</c> when embeddings are tied;
    /// <paramref name="otherTensors"/> are names the caller reads itself (a classifier's <c>score.weight</c>).
    /// The backbone tensors may all carry the <c>model.</c> prefix (what <c>LlamaForCausalLM.save_pretrained</c> writes) or
    /// all lack it (<c>LlamaModel.save_pretrained</c>: <c>embed_tokens.weight</c>, <c>layers.0.…</c>, <c>norm.weight</c>),
    /// as transformers' <c>from_pretrained</c> maps either onto the causal LM; <c>lm_head.weight</c> is only ever under that
    /// name. A mix of the two is an error naming <paramref name="source"/>.
    /// </summary>
    public static LlamaWeights Load(LlamaConfig c, Tensors.IO.SafeTensors file, string source, params string[] otherTensors)
    {
        string prefix = BackbonePrefix(file, source, otherTensors);
        var used = new HashSet<string>(otherTensors, StringComparer.Ordinal);
        var w = Load(c, n =>
        {
            used.Add(n);
            return file.Contains(n) ? file.Get(n) : null;
        }, source, prefix);
        var unused = file.Names.Where(n => !used.Contains(n) && !n.EndsWith(".rotary_emb.inv_freq", StringComparison.Ordinal)
            && !(c.TieWordEmbeddings && n == "lm_head.weight")).Order(StringComparer.Ordinal).ToList();
        if (unused.Count > 0)
            throw new SpeechTokException($"{source}: {unused.Count} tensor(s) that config.json does not use, e.g. '{unused[0]}' "
                + $"(num_hidden_layers {c.NumLayers}, tie_word_embeddings {c.TieWordEmbeddings.ToString().ToLowerInvariant()}, and the bias settings): the config does not describe these weights");
        return w;
    }

    private const string Prefix = "model.";
    private static readonly string[] BackboneStarts = ["embed_tokens.", "layers.", "norm."];

    /// <summary>An HF name as a checkpoint whose backbone names start with <paramref name="prefix"/> stores it (lm_head.weight as is).</summary>
    private static string StoredName(string name, string prefix) =>
        prefix != Prefix && name.StartsWith(Prefix, StringComparison.Ordinal) ? prefix + name[Prefix.Length..] : name;

    /// <summary>
    /// "model." when the checkpoint's backbone tensors carry the prefix, "" when none does (a base <c>LlamaModel</c>'s
    /// save_pretrained). Only backbone names count (<c>embed_tokens.</c>, <c>layers.</c>, <c>norm.</c>, with or without the
    /// prefix): a head such as <c>lm_head.weight</c>, <c>score.weight</c> or TRL's <c>v_head.*</c> is left to the unused-tensor check.
    /// </summary>
    private static string BackbonePrefix(Tensors.IO.SafeTensors file, string source, string[] otherTensors)
    {
        string? with = null, without = null;
        foreach (string n in file.Names)
        {
            if (otherTensors.Contains(n)) continue;
            bool prefixed = n.StartsWith(Prefix, StringComparison.Ordinal);
            string bare = prefixed ? n[Prefix.Length..] : n;
            if (!BackboneStarts.Any(b => bare.StartsWith(b, StringComparison.Ordinal))) continue;
            if (prefixed) with ??= n;
            else without ??= n;
        }
        if (with != null && without != null)
            throw new SpeechTokException($"{source}: the checkpoint mixes tensor names with the '{Prefix}' prefix ('{with}') and without it ('{without}'); "
                + "a checkpoint has all of its backbone tensors under one layout");
        return with == null && without != null ? "" : Prefix;
    }

    /// <summary>
    /// Keeps only the first <paramref name="rows"/> rows of a table padded past its tokenizer (Qwen2.5: 151,936 rows
    /// for 151,665 ids): <see cref="EmbedTokens"/> and <see cref="LmHead"/> become views of their first rows, as
    /// HF's <c>resize_token_embeddings(len(tokenizer))</c> truncates them. Returns the dropped rows as F32 copies
    /// ([dropped, hidden]; Head null when tied), for new tokens to start from, as HF's resize keeps the old rows
    /// of ids below the old size. Must come before <see cref="ExtendVocabulary"/>.
    /// </summary>
    public (Tensor Embed, Tensor? Head) DropPaddedRows(int rows)
    {
        if (NewEmbedRows != null) throw new InvalidOperationException("padded rows must be dropped before the vocabulary is extended");
        if (rows < 1 || rows > BaseVocabSize) throw new ArgumentOutOfRangeException(nameof(rows), $"{rows} rows of a {BaseVocabSize}-row table");
        int h = Config.HiddenSize, dropped = BaseVocabSize - rows;
        Tensor Tail(Tensor table)
        {
            var t = Tensor.Zeros(dropped, h);
            table.CopyTo((long)rows * h, t.Span);
            return t;
        }
        var embed = Tail(EmbedTokens);
        var head = LmHead == null ? null : Tail(LmHead);
        EmbedTokens = EmbedTokens.FirstRows(rows);
        LmHead = LmHead?.FirstRows(rows);
        return (embed, head);
    }

    /// <summary>
    /// Every checkpoint tensor under its HF name, in checkpoint order: embed_tokens, then per layer the
    /// attention and MLP projections (biases where the config has them) and both norms, then model.norm and,
    /// when untied, lm_head. Appended vocabulary rows are not checkpoint tensors and are not listed.
    /// </summary>
    public IEnumerable<(string Name, Tensor Tensor)> Named()
    {
        yield return ("model.embed_tokens.weight", EmbedTokens);
        for (int l = 0; l < Layers.Count; l++)
        {
            var w = Layers[l];
            string p = $"model.layers.{l}.";
            (string, Tensor?)[] all =
            [
                (p + "self_attn.q_proj.weight", w.QProj), (p + "self_attn.q_proj.bias", w.QBias),
                (p + "self_attn.k_proj.weight", w.KProj), (p + "self_attn.k_proj.bias", w.KBias),
                (p + "self_attn.v_proj.weight", w.VProj), (p + "self_attn.v_proj.bias", w.VBias),
                (p + "self_attn.o_proj.weight", w.OProj), (p + "self_attn.o_proj.bias", w.OBias),
                (p + "mlp.gate_proj.weight", w.GateProj), (p + "mlp.gate_proj.bias", w.GateBias),
                (p + "mlp.up_proj.weight", w.UpProj), (p + "mlp.up_proj.bias", w.UpBias),
                (p + "mlp.down_proj.weight", w.DownProj), (p + "mlp.down_proj.bias", w.DownBias),
                (p + "input_layernorm.weight", w.InputLayerNorm), (p + "post_attention_layernorm.weight", w.PostAttentionLayerNorm),
            ];
            foreach (var (name, t) in all)
                if (t != null) yield return (name, t);
        }
        yield return ("model.norm.weight", Norm);
        if (LmHead != null) yield return ("lm_head.weight", LmHead);
    }

    /// <summary>
    /// A copy whose every tensor is an owned, writable F32 buffer (16-bit weights upcast exactly), as
    /// full-parameter training needs; appended rows are shared, not copied. This one is left unchanged.
    /// </summary>
    public LlamaWeights ToWritableF32()
    {
        var copies = Named().ToDictionary(e => e.Name, e => e.Tensor.ToF32(), StringComparer.Ordinal);
        // After DropPaddedRows the tables hold fewer rows than config.json's vocab_size.
        var w = Load(Config with { VocabSize = BaseVocabSize }, copies.GetValueOrDefault);
        if (NewEmbedRows != null) w.ExtendVocabulary(NewEmbedRows, NewLmHeadRows);
        return w;
    }

    /// <summary>
    /// A view that shares every checkpoint tensor with this one and has its own appended rows (see
    /// <see cref="ExtendVocabulary"/>), so that runs with different rows can use one loaded backbone at once. This one is left unchanged.
    /// </summary>
    public LlamaWeights WithVocabularyExtension(Tensor embedRows, Tensor? lmHeadRows = null)
    {
        var w = new LlamaWeights(Config, EmbedTokens, LmHead, Norm, [.. Layers]);
        w.ExtendVocabulary(embedRows, lmHeadRows);
        return w;
    }

    /// <summary>
    /// Appends rows to the vocabulary (ids BaseVocabSize…). <paramref name="embedRows"/> are the new input
    /// rows (and output rows when tied); an untied model also needs <paramref name="lmHeadRows"/>.
    /// </summary>
    public void ExtendVocabulary(Tensor embedRows, Tensor? lmHeadRows = null)
    {
        int h = Config.HiddenSize;
        if (embedRows.DType != DType.F32 || embedRows.Rank != 2 || embedRows.Shape[1] != h)
            throw ShapeMismatchException.Of("new embedding rows (F32) vs [n, hidden]", embedRows.Shape, [embedRows.Shape[0], h]);
        if (Config.TieWordEmbeddings && lmHeadRows != null)
            throw new SpeechTokException("new lm_head rows were given but the model ties its embeddings");
        if (!Config.TieWordEmbeddings)
        {
            if (lmHeadRows == null) throw new SpeechTokException("the model has an untied lm_head: new lm_head rows are required with the new embedding rows");
            if (lmHeadRows.DType != DType.F32) throw new SpeechTokException("new lm_head rows must be F32");
            if (!lmHeadRows.Shape.AsSpan().SequenceEqual(embedRows.Shape)) throw ShapeMismatchException.Of("new lm_head rows vs new embedding rows", lmHeadRows.Shape, embedRows.Shape);
        }
        NewEmbedRows = embedRows;
        NewLmHeadRows = lmHeadRows;
    }
}
