using System.Text;

namespace SpeechTok.IO;

/// <summary>
/// Writes a file so that readers never see it half-written and a killed run never leaves a torn output:
/// the content goes to a temp file in the same folder (same file system, so the rename is atomic), is
/// flushed to disk, then renamed over the target. I/O failures name the path. A symlink is followed, never replaced:
/// the file it names is written (atomically when that is a regular file); a device or process file (<c>/dev/stdout</c>,
/// <c>/dev/null</c>, <c>/proc/…</c>), or what a symlink names there, is written straight through.
/// </summary>
public static class AtomicFile
{
    private static readonly UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false);

    public static void Write(string path, Action<Stream> write)
    {
        var full = Path.GetFullPath(path);
        if (new FileInfo(full).LinkTarget != null)
        {
            var final = File.ResolveLinkTarget(full, returnFinalTarget: true);
            if (final is { Exists: true } && !IsSystemFile(final.FullName)) full = final.FullName;
            else
            {
                WriteThrough(full, write);
                return;
            }
        }
        if (IsSystemFile(full))
        {
            WriteThrough(full, write);
            return;
        }
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

    private static bool IsSystemFile(string full) =>
        full.StartsWith("/dev/", StringComparison.Ordinal) || full.StartsWith("/proc/", StringComparison.Ordinal);

    /// <summary>Opens the path as it is (following links) and writes: for targets a rename must not replace.</summary>
    private static void WriteThrough(string full, Action<Stream> write)
    {
        try
        {
            using var fs = new FileStream(full, FileMode.Create, FileAccess.Write, FileShare.ReadWrite, 1 << 16);
            write(fs);
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
