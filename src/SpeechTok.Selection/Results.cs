using SpeechTok.Tensors.IO;
using System.Text.Json;
using System.Text.Json.Serialization;
using SpeechTok.Audio;

namespace SpeechTok.Selection;

/// <summary>
/// One seed's test scores. In JSON an object <c>{"seed", "macro_f1", "macro_f1_all_labels", "f1_class_1", "micro_f1",
/// "per_label_f1"}</c>; a bare number is read as its macro_f1.
/// </summary>
[JsonConverter(typeof(SeedScoreConverter))]
public sealed record SeedScore
{
    public int? Seed { get; init; }
    public double MacroF1 { get; init; }
    public double? MacroF1AllLabels { get; init; }
    public double? F1Class1 { get; init; }
    /// <summary>Multi-label tasks: micro-F1 over every (sample, label) decision.</summary>
    public double? MicroF1 { get; init; }
    /// <summary>Multi-label tasks: F1 of each label (threshold 0.5).</summary>
    public double[]? PerLabelF1 { get; init; }
}

/// <summary>One system's entry of results.json: per-seed scores and their summaries on one split.</summary>
public sealed record SystemResult
{
    [JsonPropertyName("system")] public required string System { get; init; }
    [JsonPropertyName("split")] public string Split { get; init; } = "test";
    /// <summary>Mean over seeds of macro-F1 over the labels present in the split (the original's convention).</summary>
    [JsonPropertyName("macro_f1"), JsonRequired] public double MacroF1 { get; init; }
    /// <summary>Sample standard deviation (ddof = 1) over seeds; null with fewer than 2 seeds.</summary>
    [JsonPropertyName("macro_f1_std")] public double? MacroF1Std { get; init; }
    /// <summary>Macro-F1 of the argmax of the seed-averaged probabilities.</summary>
    [JsonPropertyName("macro_f1_bagged")] public double? MacroF1Bagged { get; init; }
    /// <summary>Macro-F1 of the seeds' majority vote (ties broken by summed probability).</summary>
    [JsonPropertyName("macro_f1_vote")] public double? MacroF1Vote { get; init; }
    /// <summary>Mean over seeds of macro-F1 over all K classes.</summary>
    [JsonPropertyName("macro_f1_all_labels")] public double? MacroF1AllLabels { get; init; }
    /// <summary>Binary tasks: mean over seeds of the F1 of class 1.</summary>
    [JsonPropertyName("f1_class_1")] public double? F1Class1 { get; init; }
    /// <summary>Multi-label tasks: mean over seeds of the micro-F1.</summary>
    [JsonPropertyName("micro_f1")] public double? MicroF1 { get; init; }
    /// <summary>Multi-label tasks: mean over seeds of each label's F1.</summary>
    [JsonPropertyName("per_label_f1")] public double[]? PerLabelF1 { get; init; }
    [JsonPropertyName("per_seed")] public IReadOnlyList<SeedScore> PerSeed { get; init; } = [];
    /// <summary>Audio tokens added to the LM (null for systems without audio tokens).</summary>
    [JsonPropertyName("selected_tokens")] public int? SelectedTokens { get; init; }
    /// <summary>Wall-clock seconds the system took (its own steps, not shared ones).</summary>
    [JsonPropertyName("seconds")] public double? Seconds { get; init; }
    /// <summary>Confusion matrix of the bagged predictions: rows true class, columns predicted.</summary>
    [JsonPropertyName("confusion_matrix")] public int[][]? ConfusionMatrix { get; init; }

    /// <summary>System-specific settings and diagnostics (e.g. a baseline's chosen C and its grid).</summary>
    [JsonPropertyName("details")] public System.Text.Json.Nodes.JsonObject? Details { get; init; }

    /// <summary>Summarises per-seed scores: mean and sample std of macro-F1, and the means of the other per-seed metrics when every seed has them.</summary>
    public static SystemResult FromSeeds(string system, IReadOnlyList<SeedScore> perSeed, string split = "test")
    {
        if (perSeed.Count == 0) throw new SpeechTokException($"results: system '{system}' has no seed scores");
        double mean = perSeed.Average(s => s.MacroF1);
        double? std = perSeed.Count < 2 ? null : Math.Sqrt(perSeed.Sum(s => (s.MacroF1 - mean) * (s.MacroF1 - mean)) / (perSeed.Count - 1));
        double? MeanOf(Func<SeedScore, double?> f) => perSeed.All(s => f(s).HasValue) ? perSeed.Average(s => f(s)!.Value) : null;
        return new SystemResult
        {
            System = system,
            Split = split,
            MacroF1 = mean,
            MacroF1Std = std,
            MacroF1AllLabels = MeanOf(s => s.MacroF1AllLabels),
            F1Class1 = MeanOf(s => s.F1Class1),
            MicroF1 = MeanOf(s => s.MicroF1),
            PerLabelF1 = perSeed.All(s => s.PerLabelF1 != null) && perSeed.Select(s => s.PerLabelF1!.Length).Distinct().Count() == 1
                ? Enumerable.Range(0, perSeed[0].PerLabelF1!.Length).Select(c => perSeed.Average(s => s.PerLabelF1![c])).ToArray()
                : null,
            PerSeed = perSeed,
        };
    }
}

/// <summary>The common results.json of <c>experiment</c> and <c>baseline</c>: <c>{"format_version", "manifest", "task", "class_names", "systems": [...]}</c>.</summary>
public sealed record ExperimentResults
{
    public const int CurrentFormatVersion = 1;

    [JsonPropertyName("format_version")] public int FormatVersion { get; init; } = CurrentFormatVersion;
    [JsonPropertyName("manifest")] public required string Manifest { get; init; }
    /// <summary>"multiclass", "binary" or "multilabel".</summary>
    [JsonPropertyName("task")] public required string Task { get; init; }
    [JsonPropertyName("class_names")] public IReadOnlyList<string>? ClassNames { get; init; }
    [JsonPropertyName("systems")] public IReadOnlyList<SystemResult> Systems { get; init; } = [];

    public static string TaskName(TaskKind task) => task switch
    {
        TaskKind.Binary => "binary",
        TaskKind.Multiclass => "multiclass",
        _ => "multilabel",
    };

    public SystemResult? Find(string system, string split = "test") => Systems.FirstOrDefault(s => s.System == system && s.Split == split);

    /// <summary>A copy with <paramref name="result"/> added, replacing the entry of the same system and split (order kept).</summary>
    public ExperimentResults With(SystemResult result)
    {
        var list = Systems.ToList();
        int i = list.FindIndex(s => s.System == result.System && s.Split == result.Split);
        if (i >= 0) list[i] = result;
        else list.Add(result);
        return this with { Systems = list };
    }
}

/// <summary>Reads and writes results.json (atomically), validating every field on both paths.</summary>
public static class ResultsFile
{
    public const string FileName = "results.json";
    private static readonly string[] Tasks = ["multiclass", "binary", "multilabel"];

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static void Write(string path, ExperimentResults results)
    {
        Validate(results, path);
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(results, Json) + "\n");
    }

    public static ExperimentResults Read(string path)
    {
        if (!File.Exists(path)) throw new SpeechTokException($"results file '{path}' does not exist");
        ExperimentResults? r;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new SpeechTokException($"{path}: expected a JSON object");
            if (!doc.RootElement.TryGetProperty("format_version", out var v) || v.ValueKind != JsonValueKind.Number)
                throw new SpeechTokException($"{path}: no 'format_version' (not a SpeechTok results file, or one written before versioning)");
            if (v.GetInt32() != ExperimentResults.CurrentFormatVersion)
                throw new SpeechTokException($"{path}: format_version {v.GetInt32()} is not supported (this build reads {ExperimentResults.CurrentFormatVersion})");
            r = doc.RootElement.Deserialize<ExperimentResults>(Json);
        }
        catch (JsonException e)
        {
            throw new SpeechTokException($"{path}: invalid results JSON{(e.Path is { } p ? $" at {p}" : "")}: {e.Message}");
        }
        catch (InvalidOperationException e)
        {
            throw new SpeechTokException($"{path}: invalid results JSON: {e.Message}");
        }
        if (r == null) throw new SpeechTokException($"{path}: empty results JSON");
        Validate(r, path);
        return r;
    }

    /// <summary>Adds or replaces one system's entry in the results file at <paramref name="path"/> (created when absent).</summary>
    public static ExperimentResults Upsert(string path, string manifest, string task, SystemResult result, IReadOnlyList<string>? classNames = null)
    {
        var current = File.Exists(path) ? Read(path) : new ExperimentResults { Manifest = manifest, Task = task, ClassNames = classNames };
        if (current.Manifest != manifest || current.Task != task)
            throw new SpeechTokException($"{path}: holds results of '{current.Manifest}' ({current.Task}), not of '{manifest}' ({task}); use another output folder");
        var updated = current.With(result);
        Write(path, updated);
        return updated;
    }

    private static void Validate(ExperimentResults r, string path)
    {
        void Fail(string what) => throw new SpeechTokException($"{path}: {what}");
        void Score(string field, double? v)
        {
            if (v is double d && !(d >= 0 && d <= 1)) Fail($"{field} is {d}, expected a value in [0, 1]");
        }
        if (string.IsNullOrWhiteSpace(r.Manifest)) Fail("'manifest' is empty");
        if (Array.IndexOf(Tasks, r.Task) < 0) Fail($"'task' is '{r.Task}', expected one of {string.Join("|", Tasks)}");
        if (r.Systems.Count == 0) Fail("'systems' is empty");
        var names = new HashSet<(string, string)>();
        for (int i = 0; i < r.Systems.Count; i++)
        {
            var s = r.Systems[i];
            var at = $"systems[{i}]";
            if (string.IsNullOrWhiteSpace(s.System)) Fail($"{at}.system is empty");
            at = $"systems[{i}] ('{s.System}')";
            if (!names.Add((s.System, s.Split))) Fail($"{at}: duplicate entry for split '{s.Split}'");
            if (string.IsNullOrWhiteSpace(s.Split)) Fail($"{at}.split is empty");
            Score($"{at}.macro_f1", s.MacroF1);
            Score($"{at}.macro_f1_bagged", s.MacroF1Bagged);
            Score($"{at}.macro_f1_vote", s.MacroF1Vote);
            Score($"{at}.macro_f1_all_labels", s.MacroF1AllLabels);
            Score($"{at}.f1_class_1", s.F1Class1);
            Score($"{at}.micro_f1", s.MicroF1);
            if (s.PerLabelF1 is { } pl)
            {
                for (int c = 0; c < pl.Length; c++) Score($"{at}.per_label_f1[{c}]", pl[c]);
                if (r.ClassNames is { } cn && cn.Count != pl.Length) Fail($"{at}.per_label_f1 has {pl.Length} entries but there are {cn.Count} class names");
            }
            if (s.MacroF1Std is double sd && !(sd >= 0 && sd <= 1)) Fail($"{at}.macro_f1_std is {sd}, expected a value in [0, 1]");
            if (s.SelectedTokens is < 0) Fail($"{at}.selected_tokens is {s.SelectedTokens}, expected ≥ 0");
            if (s.Seconds is double sec && !(sec >= 0)) Fail($"{at}.seconds is {sec}, expected ≥ 0");
            for (int k = 0; k < s.PerSeed.Count; k++)
            {
                Score($"{at}.per_seed[{k}].macro_f1", s.PerSeed[k].MacroF1);
                Score($"{at}.per_seed[{k}].macro_f1_all_labels", s.PerSeed[k].MacroF1AllLabels);
                Score($"{at}.per_seed[{k}].f1_class_1", s.PerSeed[k].F1Class1);
                Score($"{at}.per_seed[{k}].micro_f1", s.PerSeed[k].MicroF1);
                foreach (var v in s.PerSeed[k].PerLabelF1 ?? []) Score($"{at}.per_seed[{k}].per_label_f1", v);
            }
            if (s.ConfusionMatrix is { } cm)
            {
                int kk = cm.Length;
                if (cm.Any(row => row == null || row.Length != kk || row.Any(c => c < 0)))
                    Fail($"{at}.confusion_matrix must be a square matrix of non-negative counts");
                if (r.ClassNames is { } cn && cn.Count != kk)
                    Fail($"{at}.confusion_matrix is {kk}×{kk} but there are {cn.Count} class names");
            }
        }
    }
}

internal sealed class SeedScoreConverter : JsonConverter<SeedScore>
{
    public override SeedScore Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Number) return new SeedScore { MacroF1 = reader.GetDouble() };
        if (reader.TokenType != JsonTokenType.StartObject) throw new JsonException("a per_seed entry must be a number or an object");
        int? seed = null;
        double? f1 = null, all = null, c1 = null, micro = null;
        double[]? perLabel = null;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var name = reader.GetString();
            reader.Read();
            bool isNull = reader.TokenType == JsonTokenType.Null;
            switch (name)
            {
                case "seed": seed = isNull ? null : reader.GetInt32(); break;
                case "macro_f1": f1 = isNull ? null : reader.GetDouble(); break;
                case "macro_f1_all_labels": all = isNull ? null : reader.GetDouble(); break;
                case "f1_class_1": c1 = isNull ? null : reader.GetDouble(); break;
                case "micro_f1": micro = isNull ? null : reader.GetDouble(); break;
                case "per_label_f1": perLabel = isNull ? null : JsonSerializer.Deserialize<double[]>(ref reader, options); break;
                default: reader.Skip(); break;
            }
        }
        if (f1 == null) throw new JsonException("a per_seed entry has no 'macro_f1'");
        return new SeedScore { Seed = seed, MacroF1 = f1.Value, MacroF1AllLabels = all, F1Class1 = c1, MicroF1 = micro, PerLabelF1 = perLabel };
    }

    public override void Write(Utf8JsonWriter writer, SeedScore value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        if (value.Seed is int s) writer.WriteNumber("seed", s);
        writer.WriteNumber("macro_f1", value.MacroF1);
        if (value.MacroF1AllLabels is double a) writer.WriteNumber("macro_f1_all_labels", a);
        if (value.F1Class1 is double c) writer.WriteNumber("f1_class_1", c);
        if (value.MicroF1 is double m) writer.WriteNumber("micro_f1", m);
        if (value.PerLabelF1 is { } pl)
        {
            writer.WritePropertyName("per_label_f1");
            JsonSerializer.Serialize(writer, pl, options);
        }
        writer.WriteEndObject();
    }
}
