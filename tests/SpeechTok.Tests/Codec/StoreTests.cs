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
        using (var r = CodeStore.Open(_dir)) // a reader says why the sample has no codes
            Assert.Contains("has 1 damaged record(s) that fail their checksum and were skipped; `speechtok tokenize` redoes them",
                Assert.Throws<SpeechTokException>(() => r.Get("a")).Message);
        using var w = CodeStore.OpenOrCreate(_dir, "id", 8, 1024);
        Assert.Equal(1, w.DamagedRecords);
        Assert.False(w.IsIntact("a"));       // redone by the next tokenize
        Assert.True(w.IsIntact("b"));        // the records after it are intact
        Assert.Null(w.TryGet("a"));
        w.Append("a", Src(1), Codes(0, 30));
        Assert.Equal(Codes(0, 30), w.Get("a"));
    }

    /// <summary>Five records a..e; returns the path of codes.bin and the byte offset of each record.</summary>
    private (string Data, long[] Starts) FiveRecords()
    {
        var starts = new List<long>();
        var data = Path.Combine(_dir, CodeStore.DataFile);
        using (var s = CodeStore.OpenOrCreate(_dir, "id", 8, 1024))
            for (int i = 0; i < 5; i++)
            {
                starts.Add(File.Exists(data) ? new FileInfo(data).Length : 0);
                s.Append(((char)('a' + i)).ToString(), Src((ulong)i), Codes(i, 30));
            }
        return (data, starts.ToArray());
    }

    /// <summary>Opening for writing (tokenize) and for reading both refuse, change nothing, and name the file, byte and record.</summary>
    private static SpeechTokException[] RefusedUnchanged(string dir, string data)
    {
        var before = File.ReadAllBytes(data);
        var errors = new[]
        {
            Assert.Throws<SpeechTokException>(() => CodeStore.Open(dir)),
            Assert.Throws<SpeechTokException>(() => CodeStore.OpenOrCreate(dir, "id", 8, 1024)),
        };
        Assert.Equal(before, File.ReadAllBytes(data)); // nothing cut
        foreach (var e in errors)
        {
            Assert.Contains(data, e.Message);
            Assert.Contains("nothing was cut or changed", e.Message);
            Assert.DoesNotContain("torn", e.Message);
        }
        return errors;
    }

    /// <summary>A power loss can leave the end of a file zero-filled (ext4 delayed allocation, XFS): no complete record follows,
    /// so it is a torn tail, cut as before, not damage.</summary>
    [Theory]
    [InlineData(3)]
    [InlineData(4096)]
    public void A_zero_filled_tail_is_cut_as_a_torn_tail(int zeros)
    {
        var (data, _) = FiveRecords();
        long good = new FileInfo(data).Length;
        using (var f = new FileStream(data, FileMode.Append)) f.Write(new byte[zeros]);
        using (var r = CodeStore.Open(_dir))
        {
            Assert.Equal(zeros, r.TornTailBytes);
            Assert.Equal(5, r.Keys.Count);
        }
        using (var w = CodeStore.OpenOrCreate(_dir, "id", 8, 1024)) Assert.Equal(good, new FileInfo(data).Length);
    }

    [Fact]
    public void DamageInTheMiddleIsRefusedNotCutAsATornTail()
    {
        var (data, starts) = FiveRecords();
        var bytes = File.ReadAllBytes(data);
        bytes[starts[2]] = (byte)'X'; // the magic of record 3 of 5
        File.WriteAllBytes(data, bytes);
        foreach (var e in RefusedUnchanged(_dir, data))
        {
            Assert.Contains($"damaged at byte {starts[2]} (record 3): it does not start with the record magic STC3", e.Message);
            Assert.Contains($"truncate -s {starts[2]} '{data}'", e.Message);
            Assert.Contains("rerun `speechtok tokenize`", e.Message);
        }

        // the advice works: cut there, and the records before it are kept while tokenize redoes the rest
        using (var f = new FileStream(data, FileMode.Open)) f.SetLength(starts[2]);
        using (var w = CodeStore.OpenOrCreate(_dir, "id", 8, 1024))
        {
            Assert.Equal(0, w.TornTailBytes);
            Assert.Equal(new[] { "a", "b" }, w.Keys.Order());
            w.Append("c", Src(2), Codes(2, 30));
        }
        using var r = CodeStore.Open(_dir);
        Assert.Equal(Codes(2, 30), r.Get("c"));
    }

    [Fact]
    public void ARecordLengthDamagedInTheMiddleIsRefused()
    {
        var (data, starts) = FiveRecords();
        var clean = File.ReadAllBytes(data);

        // longer than the rest of the file, with complete records after it: not a torn last record
        var bytes = (byte[])clean.Clone();
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan((int)starts[1] + 4), 1 << 30);
        File.WriteAllBytes(data, bytes);
        foreach (var e in RefusedUnchanged(_dir, data))
            Assert.Contains($"damaged at byte {starts[1]} (record 2): its declared length {1 << 30} runs past the end of the file", e.Message);

        // shorter than its header needs
        bytes = (byte[])clean.Clone();
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan((int)starts[1] + 4), 3);
        File.WriteAllBytes(data, bytes);
        foreach (var e in RefusedUnchanged(_dir, data))
            Assert.Contains($"damaged at byte {starts[1]} (record 2): its declared length 3 is less than its header", e.Message);

        // shorter but plausible: the record fails its checksum and the next one is looked for inside it
        bytes = (byte[])clean.Clone();
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan((int)starts[1] + 4), (int)(starts[2] - starts[1]) - 20);
        File.WriteAllBytes(data, bytes);
        foreach (var e in RefusedUnchanged(_dir, data))
        {
            Assert.Contains($"(record 3): it does not start with the record magic", e.Message);
            Assert.Contains($"the record before it, at byte {starts[1]}, fails its checksum", e.Message);
            Assert.Contains($"truncate -s {starts[1]} ", e.Message);
        }

        // the last record's length spanning to the end over... nothing: that one is a torn tail, cut as before
        bytes = clean[..(int)(starts[4] + 40)];
        File.WriteAllBytes(data, bytes);
        using (var w = CodeStore.OpenOrCreate(_dir, "id", 8, 1024)) Assert.Equal(40, w.TornTailBytes);
        Assert.Equal(starts[4], new FileInfo(data).Length);
    }
}
