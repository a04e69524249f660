using System.IO.Compression;
using System.Text;
using System.Text.Json;
using SpeechTok.Codec.Torch;
using SpeechTok.Tests.Conformance;

namespace SpeechTok.Tests.Codec;

public sealed class TorchPickleTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("stok-pickle-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    /// <summary>Writes a torch.save-style zip with the given pickle and storages.</summary>
    private string Zip(string name, byte[] pickle, params (string Key, byte[] Data)[] storages)
    {
        string path = Path.Combine(_dir, name);
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        void Add(string n, byte[] d)
        {
            using var s = zip.CreateEntry(n, CompressionLevel.NoCompression).Open();
            s.Write(d);
        }
        Add("archive/data.pkl", pickle);
        foreach (var (k, d) in storages) Add("archive/data/" + k, d);
        Add("archive/version", "3\n"u8.ToArray());
        return path;
    }

    /// <summary>A tiny pickle writer for the opcodes torch.save emits (protocol 2).</summary>
    private sealed class P
    {
        private readonly MemoryStream _m = new();
        public P() => Op(0x80, 2);
        public P Op(params byte[] b) { _m.Write(b); return this; }
        public P Global(string module, string name) { _m.WriteByte((byte)'c'); _m.Write(Encoding.ASCII.GetBytes(module + "\n" + name + "\n")); return this; }
        public P Str(string s) { var b = Encoding.UTF8.GetBytes(s); _m.WriteByte((byte)'X'); _m.Write(BitConverter.GetBytes(b.Length)); _m.Write(b); return this; }
        public P Int(int v) { _m.WriteByte((byte)'J'); _m.Write(BitConverter.GetBytes(v)); return this; }
        public P Mark() => Op((byte)'(');
        public P Tuple() => Op((byte)'t');
        public P Reduce() => Op((byte)'R');
        public byte[] Stop() { _m.WriteByte((byte)'.'); return _m.ToArray(); }

        /// <summary>Pushes _rebuild_tensor_v2(storage key, offset, size, stride, False, OrderedDict()).</summary>
        public P Tensor(string key, int numel, int offset, int[] size, int[] stride)
        {
            Global("torch._utils", "_rebuild_tensor_v2").Mark();
            Mark().Str("storage").Global("torch", "FloatStorage").Str(key).Str("cpu").Int(numel).Tuple().Op((byte)'Q');
            Int(offset).Mark(); foreach (var s in size) Int(s); Tuple();
            Mark(); foreach (var s in stride) Int(s); Tuple();
            Op(0x89).Global("collections", "OrderedDict").Op((byte)')').Reduce();
            return Tuple().Reduce();
        }
    }

    private static byte[] Floats(params float[] f)
    {
        var b = new byte[f.Length * 4];
        Buffer.BlockCopy(f, 0, b, 0, b.Length);
        return b;
    }

    [Fact]
    public void ReadsStridedTensorsWithOffsetAndNestedDicts()
    {
        // storage 0..11; "t" is a transposed [3, 2] view starting at element 2: t[i][j] = 2 + i + 3 j
        var pkl = new P().Global("collections", "OrderedDict").Op((byte)')').Reduce()
            .Mark()
            .Str("t").Tensor("0", 12, 2, [3, 2], [1, 3])
            .Str("sub").Op((byte)'}').Str("w").Tensor("0", 12, 0, [2, 2], [4, 2]).Op((byte)'s')
            .Str("epoch").Int(7)
            .Op((byte)'u').Stop();
        var path = Zip("ok.pt", pkl, ("0", Floats(Enumerable.Range(0, 12).Select(i => (float)i).ToArray())));
        var tensors = TorchCheckpoint.Load(path);
        Assert.Equal(["t", "sub.w"], tensors.Keys.ToArray());
        Assert.Equal([3, 2], tensors["t"].Shape);
        Assert.Equal([2f, 5, 3, 6, 4, 7], tensors["t"].ToArray());
        Assert.Equal([0f, 2, 4, 6], tensors["sub.w"].ToArray());
    }

    [Theory]
    [InlineData("os", "system")]
    [InlineData("builtins", "eval")]
    [InlineData("torch", "load")]
    public void RefusesGlobalsOutsideTheAllowList(string module, string name)
    {
        var pkl = new P().Global(module, name).Mark().Str("echo pwned").Tuple().Reduce().Stop();
        var path = Zip("evil.pt", pkl);
        var e = Assert.Throws<SpeechTokException>(() => TorchCheckpoint.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains($"'{module}.{name}'", e.Message);
    }

    /// <summary>A pre-1.6 torch.save file (a bare pickle: protocol 2, then torch's magic number 0x1950a86a20f9469cfc6c)
    /// got "not a readable torch.save zip archive (End of Central Directory record could not be found.)".</summary>
    [Fact]
    public void ALegacyNonZipTorchFileIsNamedAsSuch()
    {
        var path = Path.Combine(_dir, "legacy.pt");
        File.WriteAllBytes(path, [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e]);
        var e = Assert.Throws<SpeechTokException>(() => TorchCheckpoint.Load(path));
        Assert.StartsWith($"{path}: a legacy (PyTorch < 1.6, non-zip) torch.save file, which is not supported", e.Message);
    }

    [Fact]
    public void CorruptPickleNamesTheFile()
    {
        var path = Zip("garbage.pt", [0x80, 0x02, 0xff, 0x00]);
        var e = Assert.Throws<SpeechTokException>(() => TorchCheckpoint.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("opcode 0xff", e.Message);

        var cut = new P().Global("collections", "OrderedDict").Op((byte)')').Reduce().Mark().Str("x").Stop();
        path = Zip("cut.pt", cut[..^6]);
        e = Assert.Throws<SpeechTokException>(() => TorchCheckpoint.Load(path));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void TensorReachingPastItsStorageIsRefused()
    {
        var pkl = new P().Global("collections", "OrderedDict").Op((byte)')').Reduce()
            .Str("t").Tensor("0", 4, 1, [4], [1]).Op((byte)'s').Stop();
        var path = Zip("short.pt", pkl, ("0", Floats(1, 2, 3, 4)));
        var e = Assert.Throws<SpeechTokException>(() => TorchCheckpoint.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("storage '0'", e.Message);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.999)]
    [InlineData(0.01)]
    public void TruncatedArchiveNamesTheFile(double keep)
    {
        var src = Path.Combine(FixtureRoot.Folders("speechtokenizer-")[0], "model.pt");
        var bytes = File.ReadAllBytes(src);
        var path = Path.Combine(_dir, "truncated.pt");
        File.WriteAllBytes(path, bytes[..(int)(bytes.Length * keep)]);
        var e = Assert.Throws<SpeechTokException>(() => TorchCheckpoint.Load(path));
        Assert.Contains(path, e.Message);
    }

    [Trait("Category", "Conformance")]
    [Theory]
    [MemberData(nameof(Folders))]
    public void FixtureCheckpointHasEveryTensorWithItsShape(string folder)
    {
        var dir = FixtureRoot.Folder(folder);
        var tensors = TorchCheckpoint.Load(Path.Combine(dir, "model.pt"));
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "expected_codes.json")));
        var keys = doc.RootElement.GetProperty("state_dict_keys").EnumerateObject().ToList();
        Assert.Equal(keys.Count, tensors.Count);
        foreach (var k in keys)
            Assert.Equal(k.Value.EnumerateArray().Select(x => x.GetInt32()).ToArray(), tensors[k.Name].Shape);
    }

    public static TheoryData<string> Folders => FixtureRoot.Data("speechtokenizer-");
}
