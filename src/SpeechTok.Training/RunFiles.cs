using SpeechTok.IO;
using System.Text.Json.Nodes;

namespace SpeechTok.Training;

/// <summary>The run-folder layout's version and its external-format JSON writer; folders are replaced with <see cref="AtomicFolder"/>, typed JSON goes through <see cref="ArtifactJson"/>.</summary>
public static class RunFiles
{
    /// <summary>Version of the run-folder layout (part of the built-in LM's cache key).</summary>
    public const int FormatVersion = 1;

    /// <summary>Writes a JSON tree atomically (files of external formats: HF config.json, PEFT adapter_config.json).</summary>
    public static void WriteJson(string path, JsonNode node) => ArtifactJson.WriteNode(path, node);
}
