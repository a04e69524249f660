namespace SpeechTok.IO;

/// <summary>
/// Replaces a whole folder so that readers never see it half-written (run folders' checkpoints, a tokenizer folder): the
/// new content goes into a sibling folder that is renamed into place only when complete, as <see cref="AtomicFile"/> does
/// for one file.
/// </summary>
public static class AtomicFolder
{
    /// <summary>
    /// Replaces folder <paramref name="dir"/> by what <paramref name="fill"/> writes into the folder it is given
    /// (<c>DIR.new</c>); a crash leaves the old folder, or <c>DIR.old</c> between the two renames (<see cref="Complete"/>).
    /// </summary>
    /// <exception cref="SpeechTokException"><paramref name="dir"/> is a symlink (the link would be replaced, not what it names).</exception>
    public static void Replace(string dir, Action<string> fill)
    {
        dir = InputPaths.FullPath(dir)!; // DIR/ and DIR are one folder: its siblings are DIR.new and DIR.old, never DIR/.new
        if (new DirectoryInfo(dir).LinkTarget != null)
            throw new SpeechTokException($"{dir} is a symlink: the folder is replaced as a whole, so give the folder it names ({new DirectoryInfo(dir).LinkTarget})");
        string fresh = dir + ".new", old = dir + ".old";
        if (Directory.Exists(fresh)) Directory.Delete(fresh, true);
        Directory.CreateDirectory(fresh);
        fill(fresh);
        foreach (var step in Plan(Directory.Exists(dir), Directory.Exists(old)))
        {
            switch (step)
            {
                case Step.DeleteOld: Directory.Delete(old, true); break;
                case Step.MoveDirToOld: Directory.Move(dir, old); break;
                case Step.MoveNewToDir: Directory.Move(fresh, dir); break;
            }
        }
    }

    /// <summary>
    /// Creates folder <paramref name="dir"/>, absent or empty, from what <paramref name="fill"/> writes into a hidden sibling of
    /// its own (<c>.NAME.PID.GUID.tmp</c>, as <see cref="AtomicFile"/>'s temp files), renamed to <paramref name="dir"/> when
    /// complete: a crash leaves no half folder, and unlike <see cref="Replace"/> no sibling is touched (a user's own
    /// <c>DIR.old</c> or <c>DIR.new</c> was deleted by it). A folder another process made at <paramref name="dir"/> meanwhile
    /// is left as it is. The temp folders of killed runs (their process gone) are removed first.
    /// </summary>
    /// <exception cref="SpeechTokException"><paramref name="dir"/> holds something by the time the content is complete.</exception>
    public static void Create(string dir, Action<string> fill)
    {
        dir = InputPaths.FullPath(dir)!;
        string parent = Path.GetDirectoryName(dir)!;
        Directory.CreateDirectory(parent);
        foreach (var stale in Directory.GetDirectories(parent, $".{Path.GetFileName(dir)}.*.tmp"))
            if (OwnerGone(stale)) Directory.Delete(stale, recursive: true);
        string tmp = Path.Combine(parent, $".{Path.GetFileName(dir)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        Directory.CreateDirectory(tmp);
        try
        {
            fill(tmp);
            if (Directory.Exists(dir) && !Directory.EnumerateFileSystemEntries(dir).Any()) Directory.Delete(dir);
            try { Directory.Move(tmp, dir); }
            catch (IOException e) when (Path.Exists(dir))
            {
                throw new SpeechTokException($"{dir} was made by another process while this one wrote its content; it is left as it is: choose a new folder", e);
            }
        }
        finally
        {
            if (Directory.Exists(tmp)) Directory.Delete(tmp, recursive: true);
        }
    }

    /// <summary>Whether the process that named temp folder <paramref name="tmp"/> (<c>.NAME.PID.GUID.tmp</c>) is gone; a name of
    /// another shape is not ours and is kept.</summary>
    private static bool OwnerGone(string tmp)
    {
        var parts = Path.GetFileName(tmp).Split('.');
        if (parts.Length < 5 || parts[^2].Length != 32 || !int.TryParse(parts[^3], out int pid)) return false;
        try
        {
            using var p = System.Diagnostics.Process.GetProcessById(pid);
            return p.HasExited;
        }
        catch (ArgumentException) { return true; } // no such process
    }

    /// <summary>What <see cref="Replace"/> does once <c>DIR.new</c> is complete, in order.</summary>
    internal enum Step { DeleteOld, MoveDirToOld, MoveNewToDir }

    /// <summary>
    /// The steps from the state <paramref name="dirExists"/>/<paramref name="oldExists"/> (DIR.new complete). Without DIR,
    /// DIR.old is the only complete copy (a crash between the renames): it is deleted only once the new folder is in place,
    /// or a kill during that delete would leave a partial DIR.old for <see cref="Complete"/> to pick. With DIR, a DIR.old
    /// is stale (DIR is complete) and goes first, so that DIR can take its name.
    /// </summary>
    internal static IReadOnlyList<Step> Plan(bool dirExists, bool oldExists) => (dirExists, oldExists) switch
    {
        (true, true) => [Step.DeleteOld, Step.MoveDirToOld, Step.MoveNewToDir, Step.DeleteOld],
        (true, false) => [Step.MoveDirToOld, Step.MoveNewToDir, Step.DeleteOld],
        (false, true) => [Step.MoveNewToDir, Step.DeleteOld],
        (false, false) => [Step.MoveNewToDir],
    };

    /// <summary>The folder <see cref="Replace"/> left complete: the target, or the old one when a crash hit between the two renames; null when neither exists.</summary>
    public static string? Complete(string dir)
    {
        dir = Path.GetFullPath(dir);
        if (Directory.Exists(dir)) return dir;
        return Directory.Exists(dir + ".old") ? dir + ".old" : null;
    }
}
