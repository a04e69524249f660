using SpeechTok.IO;
using SpeechTok.Tests.Audio;

namespace SpeechTok.Tests.Core;

/// <summary>
/// An --out folder that cannot be made failed only when the command first wrote there, after the work (<c>lm train --out
/// /proc/lm</c> learned its tokenizer, then said "Could not find file '/proc/lm'"), and without naming the option.
/// </summary>
public sealed class OutputPathsTests : IDisposable
{
    private readonly string _dir = Tool.TempDir("output-paths");

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void A_folder_that_can_be_made_is_checked_and_nothing_is_left_behind()
    {
        string nested = Path.Combine(_dir, "a", "b", "c");
        Assert.Equal(nested, OutputPaths.RequireFolder(nested + "/", "x writes a folder"));
        Assert.Empty(Directory.GetFileSystemEntries(_dir)); // neither the folder nor its parents are made, and the probe file is gone
        Directory.CreateDirectory(nested);
        File.WriteAllText(Path.Combine(nested, "kept"), "kept");
        Assert.Equal(nested, OutputPaths.RequireFolder(nested, "x writes a folder"));
        Assert.Equal(["kept"], Directory.GetFileSystemEntries(nested).Select(Path.GetFileName)); // the probe file is gone
    }

    [Fact]
    public void A_folder_that_cannot_be_made_or_written_is_refused_naming_the_option()
    {
        // /proc refuses new entries to everyone, root included
        const string cannotMake = "/proc/speechtok-no-such-folder/lm";
        var e = Assert.Throws<SpeechTokException>(() => OutputPaths.RequireFolder(cannotMake, "x writes a folder", "--out-dir"));
        Assert.Equal($"--out-dir {cannotMake}: cannot create the folder (/proc takes no new entries)", e.Message);
        e = Assert.Throws<SpeechTokException>(() => OutputPaths.RequireFolder("/proc", "x writes a folder"));
        Assert.Equal("--out /proc: cannot write into the folder (/proc takes no new entries)", e.Message);
    }

    /// <summary>An output file (selection.json, predictions.jsonl) is written atomically through a temp file beside it: its folder
    /// is checked up front; a device path is written straight through and left to the system.</summary>
    [Fact]
    public void An_output_file_whose_folder_cannot_be_written_is_refused_naming_the_option()
    {
        // sysfs takes no new files, root included; /sys is not a device path, so the file would go through a temp file
        const string cannot = "/sys/speechtok-no-such-folder/out.json";
        var e = Assert.Throws<SpeechTokException>(() => OutputPaths.RequireFile(cannot, "out.json", "--jsonl"));
        Assert.StartsWith($"--jsonl {cannot}: cannot create its folder /sys/speechtok-no-such-folder (", e.Message);
        Assert.Equal(Path.Combine(_dir, "x", "p.jsonl"), OutputPaths.RequireFile(Path.Combine(_dir, "x", "p.jsonl"), "p.jsonl"));
        Assert.Empty(Directory.GetFileSystemEntries(_dir)); // nothing made, the probe gone
        Assert.Equal("/dev/stdout", OutputPaths.RequireFile("/dev/stdout", "p.jsonl")); // written straight through: no probe in /dev
    }
}
