using System.Diagnostics;

namespace SpeechTok.IO;

/// <summary>
/// An exclusive lock between processes (and between threads of one): a lock file opened with <see cref="FileShare.None"/>,
/// which .NET takes as flock LOCK_EX on Linux and macOS and as a sharing lock on Windows. The system releases the lock of
/// a killed process; the file stays (deleting it on release would let a third holder lock a new file while a second holds
/// the old one). Dispose the returned stream to release it.
/// </summary>
public static class FileLock
{
    /// <summary>Locks <paramref name="path"/>, or returns null when another holder has it.</summary>
    /// <param name="what">What the lock guards, for the message of a lock file that cannot be made ("the clips of OUT").</param>
    /// <exception cref="SpeechTokException">The lock file cannot be created or opened (a read-only folder, a full disk).</exception>
    public static FileStream? TryAcquire(string path, string what)
    {
        try { return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
        // Only a lock held elsewhere is another holder (flock's EWOULDBLOCK on Linux and macOS, a sharing or lock violation
        // on Windows); a read-only folder, a full disk or an I/O error say what they are.
        catch (IOException e) when (e.HResult is 11 or 35 or unchecked((int)0x80070020) or unchecked((int)0x80070021)) { return null; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SpeechTokException($"{path}: cannot create the lock file of {what} ({e.Message})", e);
        }
    }

    /// <summary>Locks <paramref name="path"/>, waiting up to <paramref name="timeout"/> for another holder to release it.</summary>
    /// <exception cref="SpeechTokException">Still held after <paramref name="timeout"/>, naming the file; or as <see cref="TryAcquire"/>.</exception>
    public static FileStream Acquire(string path, string what, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (TryAcquire(path, what) is { } held) return held;
            if (clock.Elapsed >= timeout)
                throw new SpeechTokException($"{path} stayed locked for {timeout.TotalSeconds:0} s: another process is writing {what}; let it finish, then rerun");
            Thread.Sleep(20);
        }
    }
}
