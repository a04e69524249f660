using SpeechTok.Codec.Store;
using SpeechTok.Tests.Audio;

namespace SpeechTok.Tests.Codec;

public sealed class StoreTests : IDisposable
{
    private readonly string _dir = Tool.TempDir("store");

    public void Dispose() => Directory.Delete(_dir, true);

    private static int[][] Codes(int seed, int frames, int layers = 8, int k = 1024)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, layers).Select(_ => Enumerable.Range(0, frames).Select(_ => rng.Next(k)).ToArray()).ToArray();
    }

    private static SampleSource Src(ulong n) => new(n, n, n);

    [Fact]
    public void AppendedRecordsReadBackAfterReopening()
    {
        using (var s = CodeStore.OpenOrCreate(_dir, "builtin:abc", 8, 1024))
        {
            s.Append("train/0", Src(1), Codes(0, 50));
            s.Append("train/1", Src(2), Codes(1, 0));
            s.Append("test/ü", Src(3), Codes(2, 7));
            Assert.True(s.IsIntact("train/0"));
            Assert.False(s.IsIntact("train/9"));
            Assert.Throws<SpeechTokException>(() => s.Append("bad", Src(0), Codes(3, 5, k: 2000)));
            Assert.Throws<SpeechTokException>(() => s.Append("bad", Src(0), Codes(3, 5, layers: 7)));
        }
        using var r = CodeStore.Open(_dir);
        Assert.Equal("builtin:abc", r.TokenizerIdentity);
        Assert.Equal(new[] { "test/ü", "train/0", "train/1" }, r.Keys.OrderBy(k => k, StringComparer.Ordinal));
        Assert.Equal(Codes(0, 50), r.Get("train/0"));
        Assert.Equal(8, r.Get("train/1").Length);
        Assert.Empty(r.Get("train/1")[0]);
        Assert.Equal(Codes(2, 7), r.TryGet("test/ü"));
        Assert.Null(r.TryGet("val/0"));
        Assert.Contains("val/0", Assert.Throws<SpeechTokException>(() => r.Get("val/0")).Message);
        r.RequireTokenizer("builtin:abc");
        Assert.Throws<SpeechTokException>(() => r.RequireTokenizer("speechtokenizer:xyz"));
    }

    [Fact]
    public void AnotherTokenizersStoreIsRefused()
    {
        using (var s = CodeStore.OpenOrCreate(_dir, "builtin:abc", 8, 1024)) s.Append("train/0", Src(1), Codes(0, 5));
        var e = Assert.Throws<SpeechTokException>(() => CodeStore.OpenOrCreate(_dir, "builtin:other", 8, 1024));
        Assert.Contains("never mixed", e.Message);
        Assert.Throws<SpeechTokException>(() => CodeStore.OpenOrCreate(_dir, "builtin:abc", 4, 1024));
        Assert.Contains("not a code store", Assert.Throws<SpeechTokException>(() => CodeStore.Open(Path.Combine(_dir, "none"))).Message);
        // an older format is refused, never read as torn records and cut
        var meta = Path.Combine(_dir, CodeStore.MetaFile);
        File.WriteAllText(meta, File.ReadAllText(meta).Replace($"\"format_version\": {CodeStore.FormatVersion}", "\"format_version\": 2"));
        long size = new FileInfo(Path.Combine(_dir, CodeStore.DataFile)).Length;
        Assert.Contains("format_version 2, whose records do not say their clips' file names", Assert.Throws<SpeechTokException>(() => CodeStore.OpenOrCreate(_dir, "builtin:abc", 8, 1024)).Message);
        Assert.Equal(size, new FileInfo(Path.Combine(_dir, CodeStore.DataFile)).Length);
    }

    [Fact]
    public void TornTailIsCutAndFinishedRecordsSurvive()
    {
        using (var s = CodeStore.OpenOrCreate(_dir, "id", 8, 1024))
        {
            s.Append("a", Src(1), Codes(0, 30));
            s.Append("b", Src(2), Codes(1, 30));
        }
        var data = Path.Combine(_dir, CodeStore.DataFile);
        long good = new FileInfo(data).Length;
        // a killed writer: the first half of a third record
        using (var s = CodeStore.OpenOrCreate(Path.Combine(_dir, "scratch"), "id", 8, 1024)) s.Append("c", Src(3), Codes(2, 30));
        var rec = File.ReadAllBytes(Path.Combine(_dir, "scratch", CodeStore.DataFile));
        using (var f = new FileStream(data, FileMode.Append)) f.Write(rec, 0, rec.Length / 2);

        using (var r = CodeStore.Open(_dir))
        {
            Assert.Equal(rec.Length / 2, r.TornTailBytes);
            Assert.Equal(2, r.Keys.Count);
            Assert.Equal(Codes(1, 30), r.Get("b"));
        }
        using (var w = CodeStore.OpenOrCreate(_dir, "id", 8, 1024))
        {
            Assert.Equal(good, new FileInfo(data).Length); // cut before appending
            w.Append("c", Src(3), Codes(2, 30));
        }
        using var again = CodeStore.Open(_dir);
        Assert.Equal(0, again.TornTailBytes);
        Assert.Equal(Codes(2, 30), again.Get("c"));
        Assert.Equal(Codes(0, 30), again.Get("a"));
    }

    [Fact]
    public void ADamagedRecordFailsItsChecksum()
    {
        using (var s = CodeStore.OpenOrCreate(_dir, "id", 8, 1024))
        {
            s.Append("a", Src(1), Codes(0, 30));
            s.Append("b", Src(2), Codes(1, 30));
        }
        var data = Path.Combine(_dir, CodeStore.DataFile);
        var bytes = File.ReadAllBytes(data);
        bytes[100] ^= 0x40; // inside record "a"'s codes
        File.WriteAllBytes(data, bytes);
        using var w = CodeStore.OpenOrCreate(_dir, "id", 8, 1024);
        Assert.Equal(1, w.DamagedRecords);
        Assert.False(w.IsIntact("a"));       // redone by the next tokenize
        Assert.True(w.IsIntact("b"));        // the records after it are intact
        Assert.Null(w.TryGet("a"));
        w.Append("a", Src(1), Codes(0, 30));
        Assert.Equal(Codes(0, 30), w.Get("a"));
    }
}
