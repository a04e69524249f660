using SpeechTok.IO;
using SpeechTok.Tests.Audio;

namespace SpeechTok.Tests.Core;

/// <summary>An output given as a symlink or a device path (e.g. <c>--jsonl /dev/stdout</c>) used to be replaced by the
/// rename: as root that turned /dev/stdout into a regular file for the whole machine.</summary>
public sealed class AtomicFileTests : IDisposable
{
    private readonly string _dir = Tool.TempDir("atomic");

    public void Dispose() => Directory.Delete(_dir, true);

    /// <summary>A folder as the target failed with "cannot write 'D': Is a directory : 'D'", the path twice.</summary>
    [Fact]
    public void A_folder_as_the_target_is_refused_naming_it_once()
    {
        Assert.Equal($"cannot write '{_dir}': it is a folder, not a file", Assert.Throws<SpeechTokException>(() => AtomicFile.WriteAllText(_dir + "/", "x")).Message);
        Assert.Empty(Directory.GetFileSystemEntries(_dir));
    }

    [Fact]
    public void A_symlink_to_a_file_is_written_through_and_stays_a_link()
    {
        string target = Path.Combine(_dir, "target.txt"), link = Path.Combine(_dir, "link.txt");
        File.WriteAllText(target, "old, longer content");
        File.CreateSymbolicLink(link, target);
        AtomicFile.WriteAllText(link, "new");
        Assert.Equal(target, new FileInfo(link).LinkTarget);
        Assert.Equal("new", File.ReadAllText(target));
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public void A_dangling_symlink_creates_the_file_it_names()
    {
        string target = Path.Combine(_dir, "sub", "made.txt"), link = Path.Combine(_dir, "dangling");
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        File.CreateSymbolicLink(link, target);
        AtomicFile.WriteAllText(link, "made");
        Assert.Equal("made", File.ReadAllText(target));
        Assert.Equal(target, new FileInfo(link).LinkTarget);
    }

    /// <summary>Decided from the path as given: /dev/stdout leads (through /proc/self/fd/1) to wherever stdout goes, a
    /// regular file when the shell redirects it, which a rename would replace, losing what was written before.</summary>
    [Theory]
    [InlineData("/dev/stdout", "StandardOutput")]
    [InlineData("/proc/self/fd/1", "StandardOutput")]
    [InlineData("/dev/fd/2", "StandardError")]
    [InlineData("/dev/null", "Through")]
    [InlineData("/proc/self/fd/5", "Through")]
    [InlineData("/dev/shm/speechtok-out.json", "Atomic")] // a regular file in tmpfs
    public void Device_and_stream_paths_are_written_through(string path, string kind) => Assert.Equal(kind, AtomicFile.KindOf(path).ToString());

    [Fact]
    public void Regular_files_and_links_are_told_apart()
    {
        string file = Path.Combine(_dir, "f.json"), link = Path.Combine(_dir, "l.json");
        Assert.Equal(AtomicFile.Kind.Atomic, AtomicFile.KindOf(file)); // absent
        File.WriteAllText(file, "{}");
        Assert.Equal(AtomicFile.Kind.Atomic, AtomicFile.KindOf(file));
        File.CreateSymbolicLink(link, "/dev/stdout");
        Assert.Equal(AtomicFile.Kind.Through, AtomicFile.KindOf(link));
    }
}
