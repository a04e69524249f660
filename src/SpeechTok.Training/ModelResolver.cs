using SpeechTok.Audio;

namespace SpeechTok.Training;

/// <summary>Turns a <c>--model</c> value into a model folder: <c>builtin</c> trains (or reuses) the built-in LM on the manifest's train texts.</summary>
public static class ModelResolver
{
    public static string DefaultCache() =>
        Environment.GetEnvironmentVariable("SPEECHTOK_CACHE") is { Length: > 0 } c ? Path.Combine(c, "builtin-lm")
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "speechtok", "builtin-lm");

    /// <summary>The model folder; <c>builtin</c> is trained on the train split of <paramref name="manifest"/>, which it then requires.</summary>
    public static string Resolve(string model, Manifest? manifest, string? cache, BuiltinLmOptions? options = null, Action<string>? log = null)
    {
        if (model != "builtin") return model;
        if (manifest == null) throw new SpeechTokException("--model builtin is trained on a manifest's train texts: pass --manifest M.csv (or a model folder)");
        return BuiltinLm.Ensure(manifest.Split("train").Select(s => s.Text).ToList(), cache ?? DefaultCache(), options, log);
    }
}

/// <summary>What a pre-training run is made of (the CLI's options).</summary>
public sealed record PretrainSpec
{
    public required string Manifest { get; init; }
    public required string Codes { get; init; }
    public required string Selection { get; init; }
    public required string Model { get; init; }
    public required string Out { get; init; }
    public string Serialization { get; init; } = "compact";
    public int MaxLength { get; init; } = 256;
    public PretrainOptions Options { get; init; } = new();

    /// <summary>Pre-trains on every sample of the manifest (all splits) and writes rows.safetensors + pretrain.json.</summary>
    public PretrainResult Run(Action<string>? log = null, Action<long>? afterStep = null)
    {
        var manifest = Audio.Manifest.Load(Manifest);
        var selection = SelectionFile.Load(Selection);
        using var lm = LanguageModel.Load(Model, selection);
        var serializer = new Lm.Serialization.SampleSerializer(lm.Tokenizer, lm.Vocabulary, Lm.Serialization.SampleSerializer.ParseMode(Serialization), MaxLength);
        if (serializer.Mode == Lm.Serialization.SerializationMode.TextOnly) throw new SpeechTokException("pre-training trains audio rows: --serialization text-only makes no sense here");
        using var codes = Codec.Store.CodeStore.Open(Codes);
        if (manifest.Samples.Count == 0) throw new SpeechTokException($"{Manifest}: no sample");
        var corpus = EncodedSet.Encode("all", manifest.Samples, serializer, codes);
        Directory.CreateDirectory(Out);
        log?.Invoke($"pre-training {lm.TrainableCount} rows on {corpus.Count} samples ({corpus.Truncated} truncated at {MaxLength})");
        var r = Pretrainer.Run(lm, corpus, Options, Out, log, afterStep);
        Pretrainer.Save(Out, lm, selection, Options, r, new System.Text.Json.Nodes.JsonObject
        {
            ["manifest"] = Path.GetFullPath(Manifest), ["codes"] = Path.GetFullPath(Codes), ["codes_tokenizer"] = codes.TokenizerIdentity,
            ["serialization"] = serializer.Mode.ToString().ToLowerInvariant(), ["max_length"] = MaxLength, ["truncated"] = corpus.Truncated,
        });
        return r;
    }
}
