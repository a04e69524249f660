using System.Text.Json;
using SpeechTok.Tensors.Ops;

namespace SpeechTok.Lm.Model;

/// <summary>
/// The decoder hyper-parameters read from a Hugging Face <c>config.json</c>. Llama-family variants that
/// differ only in biases, ties, RoPE settings and sliding windows are accepted: <c>LlamaForCausalLM</c>
/// (Llama 2/3.x, SmolLM2, TinyLlama), <c>Qwen2ForCausalLM</c> (Qwen2/2.5: q/k/v biases) and
/// <c>MistralForCausalLM</c>. Anything else (another architecture, activation or <c>rope_scaling</c> type,
/// Qwen2's <c>use_sliding_window</c>, an out-of-range bos/eos id) fails here with one message naming the field; an
/// out-of-range <c>pad_token_id</c>, which nothing reads, is taken as absent.
/// Defaults are transformers' (<c>tie_word_embeddings</c> false for all three).
/// </summary>
public sealed record LlamaConfig
{
    public required string Architecture { get; init; }
    public required int HiddenSize { get; init; }
    public required int IntermediateSize { get; init; }
    public required int NumLayers { get; init; }
    public required int NumHeads { get; init; }
    public required int NumKvHeads { get; init; }
    public required int HeadDim { get; init; }
    public required int VocabSize { get; init; }
    public int MaxPositionEmbeddings { get; init; } = 2048;
    public float RmsNormEps { get; init; } = 1e-6f;
    public double RopeTheta { get; init; } = 10000;
    public RopeScaling? RopeScaling { get; init; }
    /// <summary>Bias on q/k/v projections (Llama attention_bias; always on for Qwen2).</summary>
    public bool QkvBias { get; init; }
    /// <summary>Bias on o_proj (Llama attention_bias; never for Qwen2).</summary>
    public bool OBias { get; init; }
    public bool MlpBias { get; init; }
    public bool TieWordEmbeddings { get; init; }
    public int? BosTokenId { get; init; }
    public int[] EosTokenIds { get; init; } = [];
    /// <summary>config.json's <c>pad_token_id</c>, or null when absent or outside the vocabulary (-1 in some early Llama
    /// conversions; transformers loads those too). Informational: padding and classification pooling use the tokenizer's
    /// pad token (<c>LanguageModel.PadId</c>), never this.</summary>
    public int? PadTokenId { get; init; }
    /// <summary>Mistral's <c>sliding_window</c> (null: full attention). The full forward (training, scoring, a KV cache's
    /// prefill) is full causal attention, which equals sliding-window attention for sequences no longer than the window;
    /// longer ones are refused (<see cref="CheckSequenceLength"/>). Only a KV cache's one-token steps apply the window.</summary>
    public int? SlidingWindow { get; init; }

    private static readonly string[] Supported =
        [
            "LlamaForCausalLM", "LlamaForSequenceClassification", "LlamaModel", "Qwen2ForCausalLM", "Qwen2ForSequenceClassification", "Qwen2Model",
            "MistralForCausalLM", "MistralForSequenceClassification", "MistralModel",
        ];

    public static LlamaConfig Load(string folder)
    {
        string path = Path.Combine(folder, "config.json");
        // A Hugging Face cache root (models--org--name/) is the likely mix-up: its files are in snapshots/<hash>/.
        if (!File.Exists(path))
            throw new SpeechTokException($"{path}: model config not found (give the folder holding config.json, model.safetensors and tokenizer.json"
                + (Directory.Exists(Path.Combine(folder, "snapshots")) ? $"; this looks like a Hugging Face cache folder: its model is in {Path.Combine(folder, "snapshots", "<hash>")}" : "") + ")");
        return Parse(File.ReadAllText(path), path);
    }

    /// <exception cref="SpeechTokException">Invalid JSON, an unsupported architecture, or a field of the wrong type or range; the message names the source and field.</exception>
    public static LlamaConfig Parse(string json, string source)
    {
        JsonElement root;
        try { root = JsonDocument.Parse(json).RootElement; }
        catch (JsonException e) { throw new SpeechTokException($"{source}: invalid JSON ({e.Message})"); }
        if (root.ValueKind != JsonValueKind.Object) throw new SpeechTokException($"{source}: expected a JSON object, got {root.ValueKind}");

        string arch = root.TryGetProperty("architectures", out var a) && a.ValueKind == JsonValueKind.Array && a.GetArrayLength() > 0
            && a[0].ValueKind == JsonValueKind.String ? a[0].GetString()! : "";
        // transformers' Auto classes go by model_type; `architectures` is optional, and must not contradict it
        string? type = Str(root, "model_type", source);
        string byType = type switch { "llama" => "LlamaForCausalLM", "qwen2" => "Qwen2ForCausalLM", "mistral" => "MistralForCausalLM", _ => "" };
        if (arch == "")
        {
            arch = byType;
            if (arch == "")
                throw new SpeechTokException($"{source}: " + (type == null ? "neither architectures nor model_type is given" : $"model_type '{type}' is not supported (supported: llama, qwen2, mistral)"));
        }
        if (!Supported.Contains(arch))
            throw new SpeechTokException($"{source}: architecture '{arch}' is not supported (supported: {string.Join(", ", Supported)})");
        if (byType != "" && !arch.StartsWith(byType[..^"ForCausalLM".Length], StringComparison.Ordinal))
            throw new SpeechTokException($"{source}: architectures names {arch} but model_type is '{type}': the config contradicts itself");
        if (root.TryGetProperty("quantization_config", out var q) && q.ValueKind == JsonValueKind.Object)
            throw new SpeechTokException($"{source}: quantization_config (quant_method '{(q.TryGetProperty("quant_method", out var m) ? m.ToString() : "?")}') is not supported: "
                + "only F32, BF16 and F16 weights load; use the model's unquantized checkpoint");
        string act = Str(root, "hidden_act", source) ?? "silu";
        if (act != "silu") throw new SpeechTokException($"{source}: hidden_act '{act}' is not supported (only silu)");
        bool qwen = arch.StartsWith("Qwen2", StringComparison.Ordinal), mistral = arch.StartsWith("Mistral", StringComparison.Ordinal);
        if (qwen && (Bool(root, "use_sliding_window", source) ?? false))
            throw new SpeechTokException($"{source}: use_sliding_window true is not supported (Qwen2 sliding-window attention on the upper layers)");
        if (Bool(root, "use_mrope", source) ?? false) throw new SpeechTokException($"{source}: use_mrope true is not supported (multimodal RoPE)");
        // transformers' MistralConfig defaults sliding_window to 4096 when the key is absent; null is full attention
        int? window = !mistral ? null : root.TryGetProperty("sliding_window", out _) ? Int(root, "sliding_window", source) : 4096;
        if (window is <= 0) throw new SpeechTokException($"{source}: sliding_window {window} must be positive or null");

        int hidden = Req(root, "hidden_size", source), heads = Req(root, "num_attention_heads", source);
        // absent: transformers' class defaults (MistralConfig 8, Qwen2Config 32; LlamaConfig uses num_attention_heads)
        int kv = Positive(root, "num_key_value_heads", source) ?? (mistral ? 8 : qwen ? 32 : heads);
        int? givenHeadDim = Positive(root, "head_dim", source);
        if (givenHeadDim == null && heads > 0 && hidden % heads != 0)
            throw new SpeechTokException($"{source}: hidden_size {hidden} is not a multiple of num_attention_heads {heads}, and there is no head_dim");
        int headDim = givenHeadDim ?? hidden / heads;
        if (headDim < 1) throw new SpeechTokException($"{source}: hidden_size {hidden} / num_attention_heads {heads} leaves no head dimension");
        if (heads % kv != 0) throw new SpeechTokException($"{source}: num_attention_heads {heads} is not a multiple of num_key_value_heads {kv}");
        bool attnBias = Bool(root, "attention_bias", source) ?? false;
        double eps = Num(root, "rms_norm_eps", source) ?? 1e-6, theta = Num(root, "rope_theta", source) ?? 10000;
        if (!(eps > 0 && (float)eps > 0 && float.IsFinite((float)eps))) throw new SpeechTokException($"{source}: field 'rms_norm_eps' must be a positive float32, got {eps}");
        if (!(theta > 0)) throw new SpeechTokException($"{source}: field 'rope_theta' must be positive, got {theta}");
        int vocab = Req(root, "vocab_size", source);
        int maxPositions = Positive(root, "max_position_embeddings", source) ?? (qwen ? 32768 : mistral ? 131072 : 2048); // the classes' defaults
        int? TokenId(string field)
        {
            int? id = Int(root, field, source);
            return id is < 0 || id >= vocab ? throw new SpeechTokException($"{source}: {field} {id} is outside the vocabulary (vocab_size {vocab})") : id;
        }
        int[] eosIds = root.TryGetProperty("eos_token_id", out var eos) && eos.ValueKind == JsonValueKind.Array
            ? eos.EnumerateArray().Select(e => IntValue(e, "eos_token_id", source)).ToArray()
            : Int(root, "eos_token_id", source) is int one ? [one] : [];
        foreach (int e in eosIds)
            if (e < 0 || e >= vocab) throw new SpeechTokException($"{source}: eos_token_id {e} is outside the vocabulary (vocab_size {vocab})");
        return new LlamaConfig
        {
            Architecture = arch,
            HiddenSize = hidden,
            IntermediateSize = Req(root, "intermediate_size", source),
            NumLayers = Req(root, "num_hidden_layers", source),
            NumHeads = heads,
            NumKvHeads = kv,
            HeadDim = headDim,
            VocabSize = vocab,
            MaxPositionEmbeddings = maxPositions,
            RmsNormEps = (float)eps,
            RopeTheta = theta,
            RopeScaling = ParseRopeScaling(root, source, maxPositions, headDim, theta),
            QkvBias = qwen || attnBias,
            OBias = !qwen && attnBias,
            MlpBias = Bool(root, "mlp_bias", source) ?? false,
            TieWordEmbeddings = Bool(root, "tie_word_embeddings", source) ?? false,
            BosTokenId = TokenId("bos_token_id"),
            EosTokenIds = eosIds,
            // Nothing reads config.json's pad id (padding uses the tokenizer's pad token), and transformers loads any value;
            // some early Llama conversions have -1. An id outside the vocabulary is taken as no pad id.
            PadTokenId = Int(root, "pad_token_id", source) is int pad && pad >= 0 && pad < vocab ? pad : null,
            SlidingWindow = window,
        };
    }

    /// <summary>
    /// Refuses sequences of up to <paramref name="maxLength"/> tokens that the model cannot take as it was made: longer than
    /// <see cref="MaxPositionEmbeddings"/> (positions it was never trained on), or than <see cref="SlidingWindow"/>
    /// (sliding-window attention would treat them differently from the full causal attention implemented here). The
    /// tighter of the two limits is named.
    /// </summary>
    /// <param name="source">The config.json the limits come from, for the message.</param>
    /// <param name="option">What sets the length, as the message names it ("--max-length", "--seq-len", "preset 'quick' max length").</param>
    /// <exception cref="SpeechTokException">Naming <paramref name="source"/>, the limit and <paramref name="option"/>'s largest accepted value.</exception>
    public void CheckSequenceLength(int maxLength, string source, string option)
    {
        if (SlidingWindow is int w && w < MaxPositionEmbeddings && maxLength > w)
            throw new SpeechTokException($"{source}: sequences of up to {maxLength} tokens exceed the model's sliding_window {w} (the full forward has no sliding-window attention); use a {option} of at most {w}");
        if (maxLength > MaxPositionEmbeddings)
            throw new SpeechTokException($"{source}: sequences of up to {maxLength} tokens exceed the model's max_position_embeddings {MaxPositionEmbeddings} (positions it was never trained on); use a {option} of at most {MaxPositionEmbeddings}");
    }

    /// <summary>rope_scaling as transformers reads it (<c>rope_type</c>, or the older <c>type</c>): default, linear, dynamic
    /// (<paramref name="maxPositions"/>: max_position_embeddings; <paramref name="theta"/>: rope_theta) and llama3; yarn, longrope and others are refused.</summary>
    private static RopeScaling? ParseRopeScaling(JsonElement root, string source, int maxPositions, int headDim, double theta)
    {
        if (!root.TryGetProperty("rope_scaling", out var s) || s.ValueKind == JsonValueKind.Null) return null;
        if (s.ValueKind != JsonValueKind.Object) throw new SpeechTokException($"{source}: rope_scaling must be an object or null, got {s.ValueKind}");
        string type = Str(s, "rope_type", source) ?? Str(s, "type", source) ?? "default";
        if (type == "default") return null;
        double Need(string f) => Num(s, f, source) is double v && v > 0 ? v : throw new SpeechTokException($"{source}: rope_scaling.{f} is missing or not positive");
        if (type == "linear") return RopeScaling.Linear(Need("factor"));
        if (type == "dynamic")
        {
            // transformers' dynamic NTK (_compute_dynamic_ntk_parameters) uses base θ·(factor·seq_len/max − (factor − 1))^(d/(d−2))
            // with seq_len at least max = max_position_embeddings, and grows it only once a sequence passes max; CheckSequenceLength
            // refuses those (and LlamaModel, for this type). At seq_len = max the ratio is 1, so the base, and inv_freq, are the
            // default's: checked here in HF's own arithmetic (double, then the float32 base the power takes).
            double factor = Need("factor");
            double rescaled = theta * Math.Pow(factor * maxPositions / maxPositions - (factor - 1), headDim / (headDim - 2.0));
            if ((float)rescaled != (float)theta)
                throw new SpeechTokException($"{source}: rope_scaling.factor {factor} of rope_type 'dynamic' changes the RoPE base at max_position_embeddings {maxPositions} "
                    + $"({theta} becomes {rescaled}) in floating point; not supported");
            return RopeScaling.Dynamic(factor);
        }
        if (type != "llama3")
            throw new SpeechTokException($"{source}: rope_scaling.rope_type '{type}' is not supported (only default, linear, dynamic and llama3)");
        double low = Need("low_freq_factor"), high = Need("high_freq_factor");
        // transformers' _validate_llama3_parameters: the smoothing divides by high − low
        if (!(high > low)) throw new SpeechTokException($"{source}: rope_scaling.high_freq_factor {high} must be greater than low_freq_factor {low}");
        int original = Positive(s, "original_max_position_embeddings", source) ?? throw new SpeechTokException($"{source}: rope_scaling.original_max_position_embeddings is missing");
        return new RopeScaling(type, Need("factor"), low, high, original);
    }

    /// <summary>A required integer ≥ 1.</summary>
    private static int Req(JsonElement e, string f, string source) => Positive(e, f, source) ?? throw new SpeechTokException($"{source}: field '{f}' is missing");

    private static int? Positive(JsonElement e, string f, string source) =>
        Int(e, f, source) is int v ? v >= 1 ? v : throw new SpeechTokException($"{source}: field '{f}' must be at least 1, got {v}") : null;

    /// <summary>An integer field; absent or null gives null, any other type is an error.</summary>
    private static int? Int(JsonElement e, string f, string source) =>
        e.TryGetProperty(f, out var v) && v.ValueKind != JsonValueKind.Null ? IntValue(v, f, source) : null;

    private static int IntValue(JsonElement v, string f, string source) =>
        v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int i) ? i : throw new SpeechTokException($"{source}: field '{f}' must be a 32-bit integer, got {v.GetRawText()}");

    private static double? Num(JsonElement e, string f, string source)
    {
        if (!e.TryGetProperty(f, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        return v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out double d) && double.IsFinite(d) ? d
            : throw new SpeechTokException($"{source}: field '{f}' must be a finite number, got {v.GetRawText()}");
    }

    private static bool? Bool(JsonElement e, string f, string source)
    {
        if (!e.TryGetProperty(f, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        return v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : throw new SpeechTokException($"{source}: field '{f}' must be true or false, got {v.GetRawText()}");
    }

    private static string? Str(JsonElement e, string f, string source)
    {
        if (!e.TryGetProperty(f, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        return v.ValueKind == JsonValueKind.String ? v.GetString() : throw new SpeechTokException($"{source}: field '{f}' must be a string, got {v.GetRawText()}");
    }
}
