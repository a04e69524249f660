namespace SpeechTok.IO;

/// <summary>
/// The check every command makes of its output path before any work: a path of the wrong kind (a file where a folder
/// is written, a folder where a file is) is one message naming the option, instead of the file system's error after
/// the work is done, or a folder created on the way.
/// </summary>
public static class OutputPaths
{
    /// <summary>
    /// An output folder, created when absent. Returns its full path.
    /// </summary>
    /// <param name="path">The folder, as the option gives it.</param>
    /// <param name="writer">What is written there, for the message: "finetune writes a run folder".</param>
    /// <param name="option">The option that gives <paramref name="path"/>.</param>
    /// <exception cref="SpeechTokException"><paramref name="path"/>, or the nearest of its parents that exists, is a file.</exception>
    public static string RequireFolder(string path, string writer, string option = "--out")
    {
        string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        if (FileAtOrAbove(full) is { } file)
            throw new SpeechTokException(file == full ? $"{option} {full} is a file, not a folder: {writer}" : $"{option} {full} is inside {file}, a file, not a folder: {writer}");
        return full;
    }

    /// <summary>
    /// An output file, replaced when it exists. Returns its full path.
    /// </summary>
    /// <param name="path">The file, as the option gives it.</param>
    /// <param name="example">A file name to suggest inside <paramref name="path"/> when it is a folder ("predictions.jsonl").</param>
    /// <param name="option">The option that gives <paramref name="path"/>.</param>
    /// <exception cref="SpeechTokException"><paramref name="path"/> is a folder, or one of its parents is a file.</exception>
    public static string RequireFile(string path, string example, string option = "--out")
    {
        string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        if (Directory.Exists(full))
            throw new SpeechTokException($"{option} {full} is a folder, not a file: give a file path, e.g. {Path.Combine(full, example)}");
        if (FileAtOrAbove(Path.GetDirectoryName(full)!) is { } file)
            throw new SpeechTokException($"{option} {full} is inside {file}, a file, not a folder: give a file path in a folder");
        return full;
    }

    /// <summary>The nearest existing path at or above <paramref name="full"/>, when it is a file; null when it is a folder (or nothing exists).</summary>
    private static string? FileAtOrAbove(string full)
    {
        for (string? p = full; p != null; p = Path.GetDirectoryName(p))
        {
            if (Directory.Exists(p)) return null;
            if (File.Exists(p)) return p;
        }
        return null;
    }
}
