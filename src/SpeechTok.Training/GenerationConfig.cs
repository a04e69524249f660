using System.Text.Json;

namespace SpeechTok.Training;

/// <summary>
/// What <c>lm generate</c> takes from a model's generation_config.json, as transformers' <c>generate</c> takes the model's
/// GenerationConfig: the stop ids, and defaults for the settings that an option given explicitly overrides
/// (<see cref="Resolve"/>, as <c>generate</c>'s keyword arguments override the GenerationConfig). A key that is absent or
/// null (or no file) is null here; a value of the wrong kind is an error naming the file and the key.
/// </summary>
public sealed record GenerationConfig
{
    public const string FileName = "generation_config.json";
    /// <summary>transformers' GenerationConfig defaults for a sampling model whose file does not set them.</summary>
    public const double DefaultTemperature = 1.0;
    /// <inheritdoc cref="DefaultTemperature"/>
    public const int DefaultTopK = 50;

    /// <summary><c>eos_token_id</c>: an integer or a list of them.</summary>
    public int[]? EosTokenIds { get; init; }
    public bool? DoSample { get; init; }
    public double? Temperature { get; init; }
    public int? TopK { get; init; }
    public int? MaxNewTokens { get; init; }
    /// <summary>Prompt plus new tokens (transformers' <c>max_length</c>), used when <see cref="MaxNewTokens"/> is not set.</summary>
    public int? MaxLength { get; init; }
    /// <summary>Settings of the file that <c>lm generate</c> does not implement, as "key value" (e.g. "top_p 0.8").</summary>
    public IReadOnlyList<string> NotApplied { get; init; } = [];

    /// <summary>Settings other than temperature and top-k that change what transformers generates, with the value that changes nothing.</summary>
    private static readonly (string Key, double Neutral)[] Unsupported =
        [("top_p", 1.0), ("min_p", 0.0), ("typical_p", 1.0), ("repetition_penalty", 1.0), ("num_beams", 1.0)];

    /// <summary>The folder's generation_config.json; all null when it has none.</summary>
    public static GenerationConfig Read(string folder)
    {
        string path = Path.Combine(folder, FileName);
        if (!File.Exists(path)) return new GenerationConfig();
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new SpeechTokException($"{path}: expected a JSON object");
            JsonElement? Get(string key) => root.TryGetProperty(key, out var e) && e.ValueKind != JsonValueKind.Null ? e : null;
            SpeechTokException Bad(string key, string want) => new($"{path}: '{key}' must be {want}, got {root.GetProperty(key).GetRawText()}");
            int? NonNegative(string key) => Get(key) is not { } e ? null
                : e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out int n) && n >= 0 ? n : throw Bad(key, "a non-negative integer");
            return new GenerationConfig
            {
                EosTokenIds = Get("eos_token_id") is not { } eos ? null : eos.ValueKind switch
                {
                    JsonValueKind.Number when eos.TryGetInt32(out int one) && one >= 0 => [one],
                    JsonValueKind.Array when eos.EnumerateArray().All(x => x.ValueKind == JsonValueKind.Number && x.TryGetInt32(out int v) && v >= 0)
                        => eos.EnumerateArray().Select(x => x.GetInt32()).ToArray(),
                    _ => throw Bad("eos_token_id", "a non-negative integer or a list of them"),
                },
                DoSample = Get("do_sample") is not { } sample ? null
                    : sample.ValueKind is JsonValueKind.True or JsonValueKind.False ? sample.GetBoolean() : throw Bad("do_sample", "true or false"),
                Temperature = Get("temperature") is not { } temp ? null
                    : temp.ValueKind == JsonValueKind.Number && temp.GetDouble() is var t && t >= 0 && double.IsFinite(t) ? t : throw Bad("temperature", "a finite number ≥ 0"),
                TopK = NonNegative("top_k"),
                MaxNewTokens = NonNegative("max_new_tokens"),
                MaxLength = NonNegative("max_length"),
                NotApplied = [.. Unsupported.Where(u => Get(u.Key) is { } e && !(e.ValueKind == JsonValueKind.Number && e.GetDouble() == u.Neutral))
                    .Select(u => $"{u.Key} {root.GetProperty(u.Key).GetRawText()}")],
            };
        }
        catch (JsonException x) { throw new SpeechTokException($"{path}: invalid JSON: {x.Message}", x); }
    }

    /// <summary>
    /// The settings of one generation: each option given in <paramref name="given"/>, else this file's, as transformers
    /// resolves them. Greedy (temperature 0) unless the temperature is given, or <c>do_sample</c> is true (then the
    /// file's temperature, else <see cref="DefaultTemperature"/>); top-k given, else the file's, else <see cref="DefaultTopK"/>;
    /// new tokens given, else <c>max_new_tokens</c>, else <c>max_length</c> less the <paramref name="promptTokens"/>
    /// (BOS included), else <see cref="GenerateOptions.DefaultMaxNewTokens"/>.
    /// </summary>
    public (int MaxNewTokens, double Temperature, int TopK) Resolve(GenerateOptions given, int promptTokens)
    {
        double temperature = given.Temperature ?? (DoSample == true ? Temperature ?? DefaultTemperature : 0);
        int maxNew = given.MaxNewTokens ?? MaxNewTokens ?? (MaxLength is int total ? Math.Max(0, total - promptTokens) : GenerateOptions.DefaultMaxNewTokens);
        return (maxNew, temperature, given.TopK ?? TopK ?? DefaultTopK);
    }
}
