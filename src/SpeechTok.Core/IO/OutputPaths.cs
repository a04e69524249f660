namespace SpeechTok.IO;

/// <summary>
/// The check every command makes of its output path before any work: a path of the wrong kind (a file where a folder
/// is written, a folder where a file is) is one message naming the option, instead of the file system's error after
/// the work is done, or a folder created on the way.
/// </summary>
public static class OutputPaths
{
    /// <summary>
    /// An output folder, which the command creates when absent. Returns its full path. Checks that it can be created or
    /// written into (a temp file is made and removed in the nearest existing folder), so that a read-only or system path is
    /// refused here, naming the option, and not by the file system once the work is done; nothing is left behind.
    /// </summary>
    /// <param name="path">The folder, as the option gives it.</param>
    /// <param name="writer">What is written there, for the message: "finetune writes a run folder".</param>
    /// <param name="option">The option that gives <paramref name="path"/>.</param>
    /// <exception cref="SpeechTokException"><paramref name="path"/>, or the nearest of its parents that exists, is a file;
    /// the folder cannot be created or written into.</exception>
    public static string RequireFolder(string path, string writer, string option = "--out")
    {
        string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        if (FileAtOrAbove(full) is { } file)
            throw new SpeechTokException(file == full ? $"{option} {full} is a file, not a folder: {writer}" : $"{option} {full} is inside {file}, a file, not a folder: {writer}");
        RequireWritable(full, option);
        return full;
    }

    /// <summary>
    /// Makes and removes a temp file in <paramref name="full"/>'s nearest existing folder (itself, when it exists): where that
    /// works, the command can make its folder and write into it. The folder itself is not made, so that nothing watching for it
    /// sees it come and go; the temp name is <see cref="AtomicFile"/>'s pattern, which readers and folder checks ignore.
    /// </summary>
    /// <param name="file">The output file whose folder <paramref name="full"/> is, for the message; null for an output folder.</param>
    private static void RequireWritable(string full, string option, string? file = null)
    {
        string existing = full;
        while (!Directory.Exists(existing) && Path.GetDirectoryName(existing) is { } up) existing = up;
        string probe = Path.Combine(existing, $".write-test.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose)) { }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The system's words name the temp file: name the folder the command would make or write instead. A file system that
            // takes no new entries (/proc) answers "not found" (ENOENT), which would send the user looking for a typo.
            string why = ex is FileNotFoundException or DirectoryNotFoundException ? $"{existing} takes no new entries"
                : ex.Message.Replace(probe, existing == full ? full : Path.Combine(existing, Path.GetRelativePath(existing, full).Split(Path.DirectorySeparatorChar)[0]));
            string what = existing == full ? "cannot write into" : "cannot create";
            throw new SpeechTokException(file == null ? $"{option} {full}: {what} the folder ({why})" : $"{option} {file}: {what} its folder {full} ({why})");
        }
    }

    /// <summary>
    /// The rule of commands that write a run into a folder and resume it there (<c>pretrain</c>, <c>finetune</c>; <c>lm train</c>
    /// keeps its own): <paramref name="full"/> is absent or empty (a new run), holds one of <paramref name="markers"/> (the command's
    /// own run, which the command then checks against its arguments), or holds only what the command writes before its first marker
    /// (<paramref name="partial"/>: a killed first run) and <see cref="AtomicFile"/>'s temp files. Any other folder (a model folder, an
    /// experiment's or baseline's output, another command's run) is refused before any work, naming what it holds, instead of the
    /// command adding its files to it or failing on them later.
    /// </summary>
    /// <param name="full">The folder, as <see cref="RequireFolder"/> returned it.</param>
    /// <param name="command">The command, for the message: "pretrain".</param>
    /// <param name="what">What it writes, for the message: "pre-training folder".</param>
    /// <param name="markers">Names whose presence makes the folder the command's own (pretrain.json; run.json).</param>
    /// <param name="partial">Names an unfinished run of the command may hold before any marker (checkpoint; none).</param>
    /// <param name="option">The option that gives the folder.</param>
    public static void RequireNewOrOwnFolder(string full, string command, string what, IReadOnlyList<string> markers, IReadOnlyList<string> partial, string option = "--out")
    {
        if (!Directory.Exists(full) || markers.Any(m => Path.Exists(Path.Combine(full, m)))) return;
        var foreign = Directory.EnumerateFileSystemEntries(full).Select(Path.GetFileName).OfType<string>()
            .Where(n => !partial.Contains(n) && !IsTempFile(n) && n != FolderLock.FileName).Order(StringComparer.Ordinal).ToList();
        if (foreign.Count == 0) return;
        string Shown(string n) => Directory.Exists(Path.Combine(full, n)) ? n + "/" : n;
        string list = foreign.Count switch
        {
            1 => Shown(foreign[0]),
            <= 3 => string.Join(", ", foreign.Take(foreign.Count - 1).Select(Shown)) + " and " + Shown(foreign[^1]),
            _ => string.Join(", ", foreign.Take(3).Select(Shown)) + $" and {foreign.Count - 3} more",
        };
        string kind = Kinds.FirstOrDefault(k => Path.Exists(Path.Combine(full, k.Marker))).Kind is { } k2 ? $" ({k2})" : "";
        throw new SpeechTokException($"{option} {full} holds {list}{kind} but no {string.Join(" or ", markers)}: {command} writes a new {what} "
            + "into an empty or new folder (or resumes its own there)");
    }

    /// <summary>What a folder is, by a file it holds, for <see cref="RequireNewOrOwnFolder"/>'s message; the first match counts.</summary>
    private static readonly (string Marker, string Kind)[] Kinds =
    [
        ("training_run.json", "an lm train model folder"), ("run.json", "a finetune run folder"), ("pretrain.json", "a pretrain folder"),
        ("adapter_config.json", "a fine-tuned seed folder"), ("done.json", "a fine-tuned seed folder"),
        ("results.json", "the output of experiment or baseline"), ("store.json", "a tokenize code store"),
        ("config.json", "a model folder"), ("model.safetensors", "a model folder"),
    ];

    /// <summary>A temp file <see cref="AtomicFile"/> writes before its rename (<c>.NAME.PID.GUID.tmp</c>), left by a kill.</summary>
    private static bool IsTempFile(string name) =>
        name.StartsWith('.') && name.EndsWith(".tmp", StringComparison.Ordinal) && name.Split('.') is { Length: >= 5 } parts
        && parts[^2].Length == 32 && parts[^2].All(char.IsAsciiHexDigitLower) && parts[^3].Length > 0 && parts[^3].All(char.IsAsciiDigit);

    /// <summary>
    /// An output file, replaced when it exists. Returns its full path. A file written atomically (a temp file beside it, then a
    /// rename) needs a folder it can write into, checked as <see cref="RequireFolder"/> does; a device or a symlink (written
    /// straight through, <see cref="AtomicFile"/>) is left to the system.
    /// </summary>
    /// <param name="path">The file, as the option gives it.</param>
    /// <param name="example">A file name to suggest inside <paramref name="path"/> when it is a folder ("predictions.jsonl").</param>
    /// <param name="option">The option that gives <paramref name="path"/>.</param>
    /// <exception cref="SpeechTokException"><paramref name="path"/> is a folder, or one of its parents is a file; its folder
    /// cannot be created or written into.</exception>
    public static string RequireFile(string path, string example, string option = "--out")
    {
        string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        if (Directory.Exists(full))
            throw new SpeechTokException($"{option} {full} is a folder, not a file: give a file path, e.g. {Path.Combine(full, example)}");
        string folder = Path.GetDirectoryName(full)!;
        if (FileAtOrAbove(folder) is { } file)
            throw new SpeechTokException($"{option} {full} is inside {file}, a file, not a folder: give a file path in a folder");
        if (AtomicFile.KindOf(full) == AtomicFile.Kind.Atomic) RequireWritable(folder, option, full);
        return full;
    }

    /// <summary>
    /// Refuses an output file that would replace one of the command's inputs: <paramref name="output"/> is the file
    /// <paramref name="input"/> or, with <paramref name="folder"/>, lies inside the folder <paramref name="input"/> (<c>predict
    /// --out M.csv</c> replaced the manifest it read; <c>--out RUN/run.json</c> broke the run). Paths are compared in full, after
    /// following a symlink at either (<see cref="AtomicFile"/> writes through one), and regardless of case where the file
    /// system ignores it (a name in the other case finds the same entry).
    /// </summary>
    /// <param name="output">The output file, as <see cref="RequireFile"/> returned it.</param>
    /// <param name="input">An input file or folder of the command; when it does not exist (yet: a store's file the command
    /// makes), only the same path is refused.</param>
    /// <param name="what">What <paramref name="input"/> is, for the message: "the manifest".</param>
    /// <param name="folder">Whether <paramref name="input"/> is a folder whose whole content is refused.</param>
    /// <param name="option">The option that gives <paramref name="output"/>.</param>
    public static void RequireApart(string output, string input, string what, bool folder = false, string option = "--out")
    {
        string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(input));
        bool exists = Path.Exists(full);
        string o = exists ? Followed(Path.GetFullPath(output)) : Path.GetFullPath(output), i = exists ? Followed(full) : full;
        var cmp = exists && IgnoresCase(full) ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        if (string.Equals(o, i, cmp))
            throw new SpeechTokException($"{option} {output} is {what} {full}: writing it would replace the input; give another file");
        if (folder && o.StartsWith(i + Path.DirectorySeparatorChar, cmp))
            throw new SpeechTokException($"{option} {output} is inside {what} {full}: writing it would change the input; give a file outside it");
    }

    /// <summary>The file a symlink at <paramref name="full"/> finally names, else <paramref name="full"/> (also for a broken or looping link).</summary>
    private static string Followed(string full)
    {
        try { return File.ResolveLinkTarget(full, returnFinalTarget: true)?.FullName ?? full; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return full; }
    }

    /// <summary>
    /// Whether the file system of the existing <paramref name="full"/> ignores case: its nearest name with a letter, in the
    /// other case, finds an entry (APFS, NTFS by default) or not (ext4). Two entries differing only in case read as ignoring
    /// it, which refuses more, never less.
    /// </summary>
    private static bool IgnoresCase(string full)
    {
        for (string? p = full; p != null; p = Path.GetDirectoryName(p))
        {
            string name = Path.GetFileName(p);
            string swapped = new([.. name.Select(c => char.IsUpper(c) ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c))]);
            if (swapped != name) return Path.Exists(Path.Combine(Path.GetDirectoryName(p)!, swapped));
        }
        return false;
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
