using System.Text;

namespace SpeechTok.IO;

/// <summary>
/// Writes a file so that readers never see it half-written and a killed run never leaves a torn output:
/// the content goes to a temp file in the same folder (same file system, so the rename is atomic), is
/// flushed to disk, then renamed over the target. I/O failures name the path. Two kinds of path are written straight
/// through instead (<see cref="KindOf"/>): a symlink, so that the file it names is written and the link stays (the
/// kernel follows it, with its protections for links in shared folders), and a device or process path under
/// <c>/dev</c> or <c>/proc</c>; <c>/dev/stdout</c> and <c>/dev/stderr</c> (also as <c>/dev/fd/N</c>,
/// <c>/proc/self/fd/N</c>) are this process's own streams, so a shell redirection keeps what was written before.
/// </summary>
public static class AtomicFile
{
    private static readonly UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>How <see cref="Write"/> writes a path.</summary>
    internal enum Kind { Atomic, Through, StandardOutput, StandardError }

    /// <summary>Decided from the path as given, before any link is followed (/dev/stdout leads to wherever stdout goes).</summary>
    internal static Kind KindOf(string full)
    {
        switch (full)
        {
            case "/dev/stdout" or "/dev/fd/1" or "/proc/self/fd/1": return Kind.StandardOutput;
            case "/dev/stderr" or "/dev/fd/2" or "/proc/self/fd/2": return Kind.StandardError;
        }
        if ((full.StartsWith("/dev/", StringComparison.Ordinal) && !full.StartsWith("/dev/shm/", StringComparison.Ordinal))
            || full.StartsWith("/proc/", StringComparison.Ordinal)) return Kind.Through;
        try { return new FileInfo(full).LinkTarget != null ? Kind.Through : Kind.Atomic; }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { return Kind.Atomic; } // the write names the problem
    }

    public static void Write(string path, Action<Stream> write)
    {
        var full = Path.GetFullPath(path);
        var kind = KindOf(full);
        if (kind != Kind.Atomic)
        {
            WriteThrough(full, kind, write);
            return;
        }
        // The rename would fail with the system's "Is a directory : 'PATH'", after the path once more.
        if (Directory.Exists(full)) throw new SpeechTokException($"cannot write '{Path.TrimEndingDirectorySeparator(full)}': it is a folder, not a file");
        var dir = Path.GetDirectoryName(full)!;
        var tmp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            Directory.CreateDirectory(dir);
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(fs);
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new SpeechTokException($"cannot write '{full}': {ex.Message}", ex);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    /// <summary>
    /// Deletes the temp files a <see cref="Write"/> killed before its rename leaves (<c>.NAME.PID.GUID.tmp</c>) for the files of
    /// <paramref name="dir"/> named like <paramref name="namePattern"/> (<c>*.wav</c>); only for a caller that knows no other writer is at work there.
    /// </summary>
    public static void DeleteTempFiles(string dir, string namePattern)
    {
        foreach (var tmp in Directory.GetFiles(dir, $".{namePattern}.*.tmp")) File.Delete(tmp);
    }

    /// <summary>Writes without a temp file: to this process's stdout or stderr, or by opening the path as it is (following links).</summary>
    private static void WriteThrough(string full, Kind kind, Action<Stream> write)
    {
        try
        {
            using var fs = kind switch
            {
                Kind.StandardOutput => Console.OpenStandardOutput(),
                Kind.StandardError => Console.OpenStandardError(),
                _ => new FileStream(full, FileMode.Create, FileAccess.Write, FileShare.ReadWrite, 1 << 16),
            };
            write(fs);
            fs.Flush();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new SpeechTokException($"cannot write '{full}': {ex.Message}", ex);
        }
    }

    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        var copy = bytes.ToArray(); // a span cannot be captured by the writer callback
        Write(path, s => s.Write(copy));
    }

    public static void WriteAllText(string path, string text) => WriteAllBytes(path, Utf8NoBom.GetBytes(text));
}
