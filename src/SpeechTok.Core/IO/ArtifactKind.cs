using System.Text.Json;
using System.Text.Json.Nodes;

namespace SpeechTok.IO;

/// <summary>
/// The identity of one kind of JSON artifact: its name for messages ("run", "selection"), the <c>format</c> tag it carries (null
/// for files that have none, such as results.json), the name of its version field and the version this build
/// writes and reads. A file of another version fails with a message saying which version it is. Files that
/// were written without a version before it was added are read as <paramref name="UnmarkedVersion"/> when given.
/// <paramref name="FinalNewline"/> false keeps the layout of files that were written without a newline at the end before
/// they became artifacts (their bytes are hashed or compared: a built-in tokenizer's config.json is part of its identity).
/// <paramref name="OlderVersion"/> gives, for a file of an older version, what it lacks and what to do (the message goes on
/// after "PATH: format_version N"), or null for the general message.
/// </summary>
public sealed record ArtifactKind(string Name, string? Format, int Version, string VersionField = ArtifactKind.FormatVersionField, int? UnmarkedVersion = null,
    bool FinalNewline = true, Func<int, string?>? OlderVersion = null)
{
    public const string FormatField = "format", FormatVersionField = "format_version";

    internal JsonObject Header()
    {
        var o = new JsonObject();
        if (Format != null) o[FormatField] = Format;
        o[VersionField] = Version;
        return o;
    }

    /// <summary>Whether <paramref name="root"/> carries this kind's format tag (its version is not looked at).</summary>
    internal bool IsTagged(JsonElement root) =>
        Format != null && root.ValueKind == JsonValueKind.Object && root.TryGetProperty(FormatField, out var f) && f.ValueKind == JsonValueKind.String && f.GetString() == Format;

    internal void Check(JsonElement root, string path)
    {
        if (root.ValueKind != JsonValueKind.Object) throw new SpeechTokException($"{path}: expected a JSON object (a {Name} file)");
        if (UnmarkedVersion is int unmarked && !root.TryGetProperty(VersionField, out _) && !root.TryGetProperty(FormatField, out _))
        {
            if (unmarked != Version)
                throw new SpeechTokException($"{path}: this {Name} file has no '{VersionField}', so it is version {unmarked}; this build reads {VersionField} {Version}");
            return;
        }
        if (Format != null)
        {
            if (!root.TryGetProperty(FormatField, out var f) || f.ValueKind != JsonValueKind.String)
                throw new SpeechTokException($"{path}: no '{FormatField}' field; not a SpeechTok {Name} file (expected '{FormatField}': '{Format}')");
            if (f.GetString() != Format)
                throw new SpeechTokException($"{path}: '{FormatField}' is '{f.GetString()}', expected '{Format}' (a {Name} file)");
        }
        if (!root.TryGetProperty(VersionField, out var v) || v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int version))
            throw new SpeechTokException($"{path}: no integer '{VersionField}'; not a SpeechTok {Name} file, or one written before versioning (this build reads version {Version})");
        if (version < Version && OlderVersion?.Invoke(version) is { } why)
            throw new SpeechTokException($"{path}: {VersionField} {version}, {why}");
        if (version != Version)
            throw new SpeechTokException($"{path}: {VersionField} {version} is not supported; this build reads {Name} files of {VersionField} {Version} ({(version > Version ? "written by a newer SpeechTok" : "written by an older SpeechTok")}; rerun the step that writes it)");
    }
}
