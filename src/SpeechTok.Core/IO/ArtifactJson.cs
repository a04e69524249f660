using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace SpeechTok.IO;

/// <summary>
/// Reads and writes the JSON files the pipeline steps pass to each other (selection.json, pretrain.json, run.json,
/// checkpoint/state.json, results.json …) as typed records: the record's properties carry the field names
/// (<c>[JsonPropertyName]</c>), this class adds the format tag and version in front on save and checks them on
/// load, then the record validates itself. Writes are atomic (<see cref="AtomicFile"/>); every error is a
/// <see cref="SpeechTokException"/> naming the file and the field.
/// </summary>
public static class ArtifactJson
{
    /// <summary>Indented, nulls omitted, nullable annotations enforced (a JSON null in a non-nullable field is an error), unknown fields ignored.</summary>
    public static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        RespectNullableAnnotations = true,
        NumberHandling = JsonNumberHandling.Strict,
    };

    /// <summary>Loads <paramref name="path"/> as a <typeparamref name="T"/> written by <see cref="Save"/> with the same <paramref name="kind"/>.</summary>
    public static T Load<T>(string path, ArtifactKind kind) where T : class, IArtifact
    {
        path = InputPaths.RequireFile(path, $"{kind.Name} file");
        T? value;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            kind.Check(doc.RootElement, path);
            value = doc.RootElement.Deserialize<T>(Options);
        }
        catch (JsonException e) { throw new SpeechTokException($"{path}: invalid {kind.Name} JSON{(e.Path is { } p ? $" at {p}" : "")}: {e.Message}", e); }
        catch (InvalidOperationException e) { throw new SpeechTokException($"{path}: invalid {kind.Name} JSON: {e.Message}", e); }
        if (value == null) throw new SpeechTokException($"{path}: {kind.Name} JSON is null");
        value.Validate(path);
        return value;
    }

    /// <summary>Validates <paramref name="value"/> and writes it atomically, the format tag and version first.</summary>
    public static void Save<T>(string path, T value, ArtifactKind kind) where T : class, IArtifact
    {
        path = Path.GetFullPath(path);
        value.Validate(path);
        var body = JsonSerializer.SerializeToNode(value, Options)!.AsObject();
        var doc = kind.Header();
        foreach (var (key, node) in body.ToList())
        {
            body.Remove(key);
            doc[key] = node;
        }
        AtomicFile.WriteAllText(path, doc.ToJsonString(Indented) + (kind.FinalNewline ? "\n" : ""));
    }

    /// <summary>
    /// Whether <paramref name="path"/> is a JSON file tagged as <paramref name="kind"/> (its <c>format</c> field), without
    /// checking the rest: tells a folder's own artifact from a file of another tool under the same name (a built-in
    /// tokenizer's config.json from an official SpeechTokenizer's). False for a missing file or one that is not JSON.
    /// </summary>
    public static bool IsTagged(string path, ArtifactKind kind)
    {
        if (!File.Exists(path)) return false;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            return kind.IsTagged(doc.RootElement);
        }
        catch (JsonException) { return false; }
    }

    /// <summary>The record as a JSON tree.</summary>
    public static JsonObject ToNode<T>(T value) => JsonSerializer.SerializeToNode(value, Options)!.AsObject();

    /// <summary>
    /// The first of <paramref name="fields"/> (all fields when null) whose value differs between two records of one
    /// kind, with both values as JSON ("null" when absent); null when they agree. Within objects it names the innermost
    /// field that differs, as a dotted path (<c>preset.seeds</c>), so that a message need not show two whole records.
    /// Used to check that a rerun into a folder is the same run.
    /// </summary>
    public static (string Field, string Was, string Now)? FirstDifference<T>(T was, T now, IEnumerable<string>? fields = null)
    {
        JsonObject a = ToNode(was), b = ToNode(now);
        foreach (var key in fields ?? a.Select(kv => kv.Key).Union(b.Select(kv => kv.Key)))
        {
            // A misspelt field would compare null with null and silently drop out of the identity.
            if (fields != null && !FieldNames(typeof(T)).Contains(key))
                throw new ArgumentException($"{typeof(T).Name} has no JSON field '{key}'", nameof(fields));
            if (Difference(key, a[key], b[key]) is { } d) return d;
        }
        return null;
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Type, HashSet<string>> Fields = new();

    /// <summary>The JSON names of a record's properties (<c>[JsonPropertyName]</c>, else the property's name).</summary>
    private static HashSet<string> FieldNames(Type type) => Fields.GetOrAdd(type, t => t.GetProperties()
        .Select(p => p.GetCustomAttributes(typeof(JsonPropertyNameAttribute), true).OfType<JsonPropertyNameAttribute>().FirstOrDefault()?.Name ?? p.Name)
        .ToHashSet(StringComparer.Ordinal));

    private static readonly JsonSerializerOptions Readable = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static (string, string, string)? Difference(string path, JsonNode? a, JsonNode? b)
    {
        if (JsonNode.DeepEquals(a, b)) return null;
        if (a is JsonObject oa && b is JsonObject ob)
            foreach (var key in oa.Select(kv => kv.Key).Union(ob.Select(kv => kv.Key)))
                if (Difference($"{path}.{key}", oa[key], ob[key]) is { } d) return d;
        return (path, a?.ToJsonString(Readable) ?? "null", b?.ToJsonString(Readable) ?? "null");
    }

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Writes a JSON tree atomically, nulls kept (files of external formats: HF config.json, PEFT adapter_config.json).</summary>
    public static void WriteNode(string path, JsonNode node) =>
        AtomicFile.WriteAllText(path, node.ToJsonString(Indented) + "\n");

    /// <summary>A JSON object read from <paramref name="path"/>; missing file or invalid JSON name the path and line.</summary>
    public static JsonObject ReadObject(string path)
    {
        path = InputPaths.RequireFile(path, "JSON file");
        try
        {
            return JsonNode.Parse(File.ReadAllText(path)) as JsonObject
                ?? throw new SpeechTokException($"{path}: expected a JSON object");
        }
        catch (JsonException e) { throw new SpeechTokException($"{path}: invalid JSON at line {e.LineNumber + 1}: {e.Message}", e); }
    }
}
