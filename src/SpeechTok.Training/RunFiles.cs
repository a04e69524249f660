using System.Text.Json;
using System.Text.Json.Nodes;

namespace SpeechTok.Training;

/// <summary>Atomic file writes and the JSON conventions of run folders (docs/training.md).</summary>
public static class RunFiles
{
    public const int FormatVersion = 1;
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Writes to a temporary file in the same folder, then moves it over the target.</summary>
    public static void WriteAtomic(string path, string text)
    {
        string dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        string tmp = Path.Combine(dir, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        try
        {
            using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write))
            using (var w = new StreamWriter(fs))
            {
                w.Write(text);
                w.Flush();
                fs.Flush(true);
            }
            File.Move(tmp, path, overwrite: true);
        }
        catch (IOException e) { throw new SpeechTokException($"cannot write '{path}': {e.Message}", e); }
        catch (UnauthorizedAccessException e) { throw new SpeechTokException($"cannot write '{path}': {e.Message}", e); }
    }

    public static void WriteJson(string path, JsonNode node) => WriteAtomic(path, node.ToJsonString(Indented) + "\n");

    public static JsonObject ReadJson(string path)
    {
        if (!File.Exists(path)) throw new SpeechTokException($"'{path}' does not exist");
        try
        {
            return JsonNode.Parse(File.ReadAllText(path)) as JsonObject
                ?? throw new SpeechTokException($"{path}: expected a JSON object");
        }
        catch (JsonException e) { throw new SpeechTokException($"{path}: invalid JSON at line {e.LineNumber + 1}: {e.Message}", e); }
    }

    /// <summary>A required field of a JSON object, converted, or an error naming the file and field.</summary>
    public static T Get<T>(JsonObject o, string field, string source)
    {
        var n = o[field] ?? throw new SpeechTokException($"{source}: field '{field}' is missing");
        try { return n.GetValue<T>(); }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new SpeechTokException($"{source}: field '{field}' is not a {typeof(T).Name} ({n.ToJsonString()})");
        }
    }

    public static int[] IntArray(JsonObject o, string field, string source)
    {
        if (o[field] is not JsonArray a) throw new SpeechTokException($"{source}: field '{field}' is missing or not an array");
        try { return a.Select(x => x!.GetValue<int>()).ToArray(); }
        catch (Exception e) when (e is InvalidOperationException or FormatException or NullReferenceException)
        {
            throw new SpeechTokException($"{source}: field '{field}' must hold integers");
        }
    }

    public static JsonArray ToJson(IEnumerable<int> xs) => new(xs.Select(x => (JsonNode)x).ToArray());
    public static JsonArray ToJson(IEnumerable<double> xs) => new(xs.Select(x => (JsonNode)Finite(x)).ToArray());
    public static JsonArray ToJson(IEnumerable<float[]> rows) => new(rows.Select(r => (JsonNode)ToJson(r.Select(v => (double)v))).ToArray());

    /// <summary>JSON has no NaN; a non-finite value here is a bug upstream, so it is rejected rather than written.</summary>
    private static double Finite(double x) =>
        double.IsFinite(x) ? x : throw new SpeechTokException($"refusing to write the non-finite value {x} into a JSON file");

    /// <summary>
    /// Replaces folder <paramref name="dir"/> by what <paramref name="fill"/> writes, atomically: the new content
    /// goes into a sibling folder that is renamed into place only when complete (a crash leaves the old one).
    /// </summary>
    public static void ReplaceFolder(string dir, Action<string> fill)
    {
        dir = Path.GetFullPath(dir);
        string fresh = dir + ".new", old = dir + ".old";
        if (Directory.Exists(fresh)) Directory.Delete(fresh, true);
        Directory.CreateDirectory(fresh);
        fill(fresh);
        if (Directory.Exists(old)) Directory.Delete(old, true);
        if (Directory.Exists(dir)) Directory.Move(dir, old);
        Directory.Move(fresh, dir);
        if (Directory.Exists(old)) Directory.Delete(old, true);
    }

    /// <summary>The folder <see cref="ReplaceFolder"/> left complete: the target, or the old one when a crash hit between the two renames.</summary>
    public static string? CompleteFolder(string dir)
    {
        dir = Path.GetFullPath(dir);
        if (Directory.Exists(dir)) return dir;
        return Directory.Exists(dir + ".old") ? dir + ".old" : null;
    }
}
