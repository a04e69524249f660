using SpeechTok.IO;
using System.Text.Json.Nodes;

namespace SpeechTok.Training;

/// <summary>Folder-level atomic replacement for run folders (docs/training.md); JSON files go through <see cref="ArtifactJson"/>.</summary>
public static class RunFiles
{
    /// <summary>Version of the run-folder layout (part of the built-in LM's cache key).</summary>
    public const int FormatVersion = 1;

    /// <summary>Writes a JSON tree atomically (files of external formats: HF config.json, PEFT adapter_config.json).</summary>
    public static void WriteJson(string path, JsonNode node) => ArtifactJson.WriteNode(path, node);

    /// <summary>
    /// Replaces folder <paramref name="dir"/> by what <paramref name="fill"/> writes, atomically: the new content
    /// goes into a sibling folder that is renamed into place only when complete (a crash leaves the old one).
    /// </summary>
    public static void ReplaceFolder(string dir, Action<string> fill)
    {
        dir = FullPath(dir)!; // DIR/ and DIR are one folder: its siblings are DIR.new and DIR.old, never DIR/.new
        if (new DirectoryInfo(dir).LinkTarget != null)
            throw new SpeechTokException($"{dir} is a symlink: the folder is replaced as a whole, so give the folder it names ({new DirectoryInfo(dir).LinkTarget})");
        string fresh = dir + ".new", old = dir + ".old";
        if (Directory.Exists(fresh)) Directory.Delete(fresh, true);
        Directory.CreateDirectory(fresh);
        fill(fresh);
        if (Directory.Exists(old)) Directory.Delete(old, true);
        if (Directory.Exists(dir)) Directory.Move(dir, old);
        Directory.Move(fresh, dir);
        if (Directory.Exists(old)) Directory.Delete(old, true);
    }

    /// <summary>An absolute path without a trailing separator, as records store folders (<c>pre/</c> and <c>pre</c> are one folder); null stays null.</summary>
    public static string? FullPath(string? path) => path is null ? null : Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));

    /// <summary>The folder <see cref="ReplaceFolder"/> left complete: the target, or the old one when a crash hit between the two renames.</summary>
    public static string? CompleteFolder(string dir)
    {
        dir = Path.GetFullPath(dir);
        if (Directory.Exists(dir)) return dir;
        return Directory.Exists(dir + ".old") ? dir + ".old" : null;
    }
}
