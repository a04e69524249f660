using System.Text;
using Microsoft.Win32.SafeHandles;

namespace SpeechTok.Cli;

/// <summary>
/// Standard output for a command that streams until it is done (<c>lm generate</c>): .NET's <see cref="Console"/> ignores
/// EPIPE, so `speechtok lm generate … | head` kept generating for as long as --max-new-tokens allowed after head had exited.
/// Redirected to a pipe, this writes to file descriptor 1 directly, where a write to a pipe without a reader throws an
/// <see cref="IOException"/> that <see cref="ReaderGone"/> recognises. Redirected to a file it stays with <see cref="Console"/>:
/// a <see cref="FileStream"/> on a seekable descriptor writes at its own position (pwrite) and leaves the shared offset
/// where it was, so the next writer to that file (`{ …; echo done; } &gt; log`) overwrote the generated text.
/// </summary>
internal static class PipeOutput
{
    private const int Epipe = 32; // Linux and macOS errno, the IOException's HResult on Unix

    /// <summary>The writer (UTF-8, flushed at every write); <see cref="Console.Out"/> on a terminal or a file.</summary>
    public static TextWriter Open()
    {
        if (!Console.IsOutputRedirected || OperatingSystem.IsWindows()) return Console.Out;
        var stdout = new FileStream(new SafeFileHandle(1, ownsHandle: false), FileAccess.Write, bufferSize: 1);
        if (!stdout.CanSeek) return new StreamWriter(stdout, new UTF8Encoding(false)) { AutoFlush = true };
        stdout.Dispose(); // does not close descriptor 1: the handle does not own it
        return Console.Out;
    }

    /// <summary>Whether <paramref name="e"/> says the reading end of the pipe has closed (not a full disk, say).</summary>
    public static bool ReaderGone(IOException e) => e.HResult == Epipe;
}
