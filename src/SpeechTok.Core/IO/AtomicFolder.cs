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
        if (Directory.Exists(dir))
        {
            if (Directory.Exists(old)) Directory.Delete(old, true); // stale: DIR is complete
            Directory.Move(dir, old);
        }
        // Without DIR, DIR.old is the only complete copy (a crash between the renames): it is deleted only once the new
        // folder is in place, or a kill during that delete would leave a partial DIR.old for Complete to pick.
        Directory.Move(fresh, dir);
        if (Directory.Exists(old)) Directory.Delete(old, true);
    }

    /// <summary>The folder <see cref="Replace"/> left complete: the target, or the old one when a crash hit between the two renames; null when neither exists.</summary>
    public static string? Complete(string dir)
    {
        dir = Path.GetFullPath(dir);
        if (Directory.Exists(dir)) return dir;
        return Directory.Exists(dir + ".old") ? dir + ".old" : null;
    }
}
