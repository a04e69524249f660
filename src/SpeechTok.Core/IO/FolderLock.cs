namespace SpeechTok.IO;

/// <summary>
/// The lock a command holds on its output folder while it writes there: <see cref="FileLock"/> on DIR/<see cref="FileName"/>.
/// Two processes writing one folder interleave their checkpoints, logs and records (two `lm train` into one --out left the
/// first's metrics.jsonl without most of its lines, and the folder could not be resumed again). The second is refused rather
/// than made to wait: the first may run for hours. The folder checks of the commands ignore the lock file.
/// </summary>
public static class FolderLock
{
    public const string FileName = ".speechtok.lock";

    /// <summary>Creates <paramref name="dir"/> if it is absent and locks it; dispose the returned stream to release it.</summary>
    /// <param name="command">The command, for the message: "lm train".</param>
    /// <exception cref="SpeechTokException">Another process holds the folder (naming the folder and the lock file), or the lock file cannot be made.</exception>
    public static FileStream Acquire(string dir, string command)
    {
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, FileName);
        return FileLock.TryAcquire(path, dir)
            ?? throw new SpeechTokException($"another process is writing {dir} ({path} is locked): let that {command} finish, then rerun, or give another --out");
    }
}
