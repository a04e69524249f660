using SpeechTok.IO;
using SpeechTok.Tests.Audio;

namespace SpeechTok.Tests.Core;

/// <summary>An output given as a symlink (e.g. <c>--jsonl /dev/stdout</c>) used to be replaced by the rename: as root that
/// turned /dev/stdout into a regular file for the whole machine.</summary>
public sealed class AtomicFileTests : IDisposable
{
    private readonly string _dir = Tool.TempDir("atomic");

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void A_symlink_to_a_file_is_followed_and_stays_a_link()
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
    public void A_symlink_to_a_device_is_written_through()
    {
        string link = Path.Combine(_dir, "null");
        File.CreateSymbolicLink(link, "/dev/null");
        AtomicFile.WriteAllText(link, "discarded");
        Assert.Equal("/dev/null", new FileInfo(link).LinkTarget);
        Assert.Equal(0, new FileInfo("/dev/null").Length);
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
}
