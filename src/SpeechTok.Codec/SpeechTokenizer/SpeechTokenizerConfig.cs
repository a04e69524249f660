using System.Text.Json;
using SpeechTok.Tensors.Ops;

namespace SpeechTok.Codec.SpeechTokenizer;

/// <summary>
/// The encoder/quantizer part of the official SpeechTokenizer config.json. The official model passes only
/// n_filters, dimension, strides, lstm_layers, bidirectional, dilation_base, residual_kernel_size,
/// n_residual_layers, activation, codebook_size and n_q; the other SEANet arguments (norm, pad_mode, causal,
/// kernel sizes, compress, true_skip, activation_params) keep SEANet's defaults unless the file sets them.
/// </summary>
internal sealed record SpeechTokenizerConfig
{
    public int NFilters { get; init; }
    public int[] Strides { get; init; } = [];
    public int Dimension { get; init; }
    public int LstmLayers { get; init; }
    public bool Bidirectional { get; init; }
    public int DilationBase { get; init; }
    public int ResidualKernelSize { get; init; }
    public int NResidualLayers { get; init; }
    public string Activation { get; init; } = "ELU";
    public float EluAlpha { get; init; } = 1f;
    public int CodebookSize { get; init; }
    public int NQ { get; init; }
    public int SampleRate { get; init; } = 16000;
    public bool WeightNorm { get; init; } = true;
    public PadMode PadMode { get; init; } = PadMode.Reflect;
    public bool Causal { get; init; }
    public int KernelSize { get; init; } = 7;
    public int LastKernelSize { get; init; } = 7;
    public int Compress { get; init; } = 2;
    public bool TrueSkip { get; init; }

    public bool IsSnake => Activation == "Snake";
    public int HopLength => Strides.Aggregate(1, (a, b) => a * b);

    public static SpeechTokenizerConfig Load(string path)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(File.ReadAllText(path)); }
        catch (IOException e) { throw new SpeechTokException($"{path}: cannot read config ({e.Message})", e); }
        catch (JsonException e) { throw new SpeechTokException($"{path}: invalid JSON ({e.Message})", e); }
        using (doc)
        {
            var r = doc.RootElement;
            if (r.ValueKind != JsonValueKind.Object) throw new SpeechTokException($"{path}: config is not a JSON object");

            JsonElement? Opt(string name) => r.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;
            JsonElement Req(string name) => Opt(name) ?? throw new SpeechTokException($"{path}: field '{name}' is missing");
            int Int(JsonElement v, string name, int min) =>
                v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int i) && i >= min ? i
                    : throw new SpeechTokException($"{path}: field '{name}' must be an integer >= {min}, got {v.GetRawText()}");
            bool Bool(JsonElement v, string name) =>
                v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : throw new SpeechTokException($"{path}: field '{name}' must be true or false");
            string Str(JsonElement v, string name) =>
                v.ValueKind == JsonValueKind.String ? v.GetString()! : throw new SpeechTokException($"{path}: field '{name}' must be a string");
            int ReqInt(string name, int min = 1) => Int(Req(name), name, min);
            int OptInt(string name, int dflt, int min = 1) => Opt(name) is { } v ? Int(v, name, min) : dflt;

            var stridesEl = Req("strides");
            if (stridesEl.ValueKind != JsonValueKind.Array || stridesEl.GetArrayLength() == 0)
                throw new SpeechTokException($"{path}: field 'strides' must be a non-empty list of integers");
            var strides = stridesEl.EnumerateArray().Select(v => Int(v, "strides", 1)).ToArray();
            if (strides.Aggregate(1L, (a, b) => Math.Min(a * b, 1L << 40)) > int.MaxValue)
                throw new SpeechTokException($"{path}: field 'strides' [{string.Join(", ", strides)}] multiply to a hop length beyond 2^31 samples");

            string activation = Str(Req("activation"), "activation");
            if (activation is not ("ELU" or "Snake"))
                throw new SpeechTokException($"{path}: activation '{activation}' is not supported (ELU or Snake)");
            float alpha = 1f;
            if (Opt("activation_params") is { } ap && ap.ValueKind == JsonValueKind.Object && ap.TryGetProperty("alpha", out var a))
                alpha = a.ValueKind == JsonValueKind.Number ? a.GetSingle() : throw new SpeechTokException($"{path}: field 'activation_params.alpha' must be a number");

            string norm = Opt("norm") is { } n ? Str(n, "norm") : "weight_norm";
            if (norm is not ("weight_norm" or "none"))
                throw new SpeechTokException($"{path}: norm '{norm}' is not supported (weight_norm or none)");
            string pad = Opt("pad_mode") is { } p ? Str(p, "pad_mode") : "reflect";
            var padMode = pad switch
            {
                "reflect" => PadMode.Reflect,
                "constant" or "zero" => PadMode.Zero,
                _ => throw new SpeechTokException($"{path}: pad_mode '{pad}' is not supported (reflect, constant or zero)"),
            };

            var cfg = new SpeechTokenizerConfig
            {
                NFilters = ReqInt("n_filters"),
                Strides = strides,
                Dimension = ReqInt("dimension"),
                LstmLayers = ReqInt("lstm_layers", 0),
                Bidirectional = Opt("bidirectional") is { } b && Bool(b, "bidirectional"),
                DilationBase = ReqInt("dilation_base"),
                ResidualKernelSize = ReqInt("residual_kernel_size"),
                NResidualLayers = ReqInt("n_residual_layers", 0),
                Activation = activation,
                EluAlpha = alpha,
                CodebookSize = ReqInt("codebook_size"),
                NQ = ReqInt("n_q"),
                SampleRate = OptInt("sample_rate", 16000),
                WeightNorm = norm == "weight_norm",
                PadMode = padMode,
                Causal = Opt("causal") is { } c && Bool(c, "causal"),
                KernelSize = OptInt("kernel_size", 7),
                LastKernelSize = OptInt("last_kernel_size", 7),
                Compress = OptInt("compress", 2),
                TrueSkip = Opt("true_skip") is { } ts && Bool(ts, "true_skip"),
            };
            // The original sizes the last conv for 2x channels whenever bidirectional, which only an LSTM provides.
            if (cfg.Bidirectional && cfg.LstmLayers == 0)
                throw new SpeechTokException($"{path}: bidirectional=true needs lstm_layers >= 1");
            // Clips are loaded at 16 kHz (AudioLoader), as the released SpeechTokenizer models expect: another rate would be ignored.
            if (cfg.SampleRate != 16000)
                throw new SpeechTokException($"{path}: sample_rate {cfg.SampleRate} is not supported: clips are loaded at 16000 Hz, the rate of the released models");
            if (cfg.NFilters % cfg.Compress != 0)
                throw new SpeechTokException($"{path}: n_filters {cfg.NFilters} is not divisible by compress {cfg.Compress}");
            return cfg;
        }
    }
}
