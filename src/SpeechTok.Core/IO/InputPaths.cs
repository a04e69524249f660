namespace SpeechTok.IO;

/// <summary>
/// The check of an input path before it is read: a path of the wrong kind (a folder where a file is read, a file
/// where a folder is) says so, instead of "does not exist", which sends the user looking for a typo.
/// </summary>
public static class InputPaths
{
    /// <summary>An existing input file. Returns its full path.</summary>
    /// <param name="path">The file, as given.</param>
    /// <param name="what">What it is, for the message: "manifest", "selection file".</param>
    /// <exception cref="SpeechTokException"><paramref name="path"/> is a folder, or does not exist.</exception>
    public static string RequireFile(string path, string what)
    {
        string full = FullPath(path)!;
        if (File.Exists(full)) return full;
        throw new SpeechTokException(Directory.Exists(full) ? $"{what} '{full}' is a folder, not a file" : $"{what} '{full}' does not exist");
    }

    /// <summary>An existing input folder. Returns its full path.</summary>
    /// <param name="path">The folder, as given.</param>
    /// <param name="what">What it is, for the message: "model folder", "tokenizer folder".</param>
    /// <exception cref="SpeechTokException"><paramref name="path"/> is a file, or does not exist.</exception>
    public static string RequireFolder(string path, string what)
    {
        string full = FullPath(path)!;
        if (Directory.Exists(full)) return full;
        throw new SpeechTokException(File.Exists(full) ? $"{what} '{full}' is a file, not a folder" : $"{what} '{full}' does not exist");
    }

    /// <summary>An absolute path without a trailing separator, as messages name paths and records store folders (<c>pre/</c> and
    /// <c>pre</c> are one folder); null stays null.</summary>
    public static string? FullPath(string? path) => path is null ? null : Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
}
