using System.Buffers.Binary;
using System.Text;
using SpeechTok.Tensors;
using SpeechTok.Tensors.IO;

namespace SpeechTok.Tests.Tensors;

public sealed class SafeTensorsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("speechtok-safetensors-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    /// <summary>Writes a file by hand: u64 header length (or an override), the header bytes, then data bytes.</summary>
    private string Craft(string header, int dataBytes, ulong? headerLength = null, string name = "crafted.safetensors")
    {
        var h = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + h.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, headerLength ?? (ulong)h.Length);
        h.CopyTo(bytes, 8);
        for (int i = 0; i < dataBytes; i++) bytes[8 + h.Length + i] = (byte)i;
        var path = PathOf(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static void AssertDefect(string path, string defectFragment)
    {
        var ex = Assert.ThrowsAny<SpeechTokException>(() => SafeTensors.Open(path).Dispose());
        Assert.Contains(path, ex.Message);
        Assert.Contains(defectFragment, ex.Message);
    }

    [Fact]
    public void RoundTripKeepsDTypesShapesBitsAndMetadata()
    {
        var f32 = Tensor.FromData([1.5f, -2.25f, float.Epsilon, float.NaN, 3e38f, -0f], 2, 3);
        ushort[] bf = [Half16.F32ToBf16(0.1f), Half16.F32ToBf16(-7f), 0x7F80];
        ushort[] hf = [Half16.F32ToF16(0.1f), Half16.F32ToF16(-65504f)];
        var bfT = new Pinned16(bf, DType.BF16, 3);
        var hfT = new Pinned16(hf, DType.F16, 1, 2);
        var empty = Tensor.Zeros(0, 4);
        var path = PathOf("rt.safetensors");
        SafeTensors.Save(path, [("a.weight", f32), ("b", bfT.Tensor), ("c", hfT.Tensor), ("empty", empty)],
            new Dictionary<string, string> { ["format"] = "pt", ["note"] = "ünïcode \"quoted\"" });

        var raw = File.ReadAllBytes(path);
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(raw);
        Assert.Equal(0UL, n % 8);
        var header = Encoding.UTF8.GetString(raw, 8, (int)n);
        Assert.EndsWith("}", header.TrimEnd(' '));           // padded with spaces only
        Assert.StartsWith("{\"__metadata__\"", header);
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));

        using var st = SafeTensors.Open(path);
        Assert.Equal(["a.weight", "b", "c", "empty"], st.Names);
        Assert.Equal("ünïcode \"quoted\"", st.Metadata["note"]);
        Assert.Equal("pt", st.Metadata["format"]);
        using var a = st.Get("a.weight");
        Assert.Equal(DType.F32, a.DType);
        Assert.Equal([2, 3], a.Shape);
        Assert.True(a.IsReadOnly);
        Assert.Equal(f32.ToArray().Select(BitConverter.SingleToInt32Bits), a.ToArray().Select(BitConverter.SingleToInt32Bits));
        using var b = st.Get("b");
        Assert.Equal(DType.BF16, b.DType);
        Assert.Equal(bf, b.Bits16.ToArray());
        using var c = st.Get("c");
        Assert.Equal(DType.F16, c.DType);
        Assert.Equal([1, 2], c.Shape);
        Assert.Equal(hf, c.Bits16.ToArray());
        using var e = st.Get("empty");
        Assert.Equal([0, 4], e.Shape);
        Assert.Throws<InvalidOperationException>(() => { _ = a.Span; });
        bfT.Dispose();
        hfT.Dispose();
    }

    private sealed class Pinned16(ushort[] bits, DType dtype, params int[] shape) : IDisposable
    {
        private readonly System.Runtime.InteropServices.GCHandle _h = System.Runtime.InteropServices.GCHandle.Alloc(bits, System.Runtime.InteropServices.GCHandleType.Pinned);
        public unsafe Tensor Tensor => Tensor.View(dtype, (byte*)_h.AddrOfPinnedObject(), shape, null, readOnly: true);
        public void Dispose() => _h.Free();
    }

    [Fact]
    public void ViewOutlivesTheFileObjectAndSaveOverwritesAtomically()
    {
        var path = PathOf("w.safetensors");
        SafeTensors.Save(path, [("x", Tensor.FromData([1f, 2f, 3f], 3))]);
        var st = SafeTensors.Open(path);
        var x = st.Get("x");
        st.Dispose();
        Assert.Equal([1f, 2f, 3f], x.ToArray()); // the lease keeps the mapping alive
        SafeTensors.Save(path, [("x", x)]);      // overwrite the file the view maps: temp file + move
        x.Dispose();
        using var again = SafeTensors.Open(path);
        using var y = again.Get("x");
        Assert.Equal([1f, 2f, 3f], y.ToArray());
        Assert.Single(Directory.GetFiles(_dir));
    }

    [Fact]
    public void IntegerTensorsAreReadableButNotAsFloat()
    {
        var data = new byte[24];
        BinaryPrimitives.WriteInt64LittleEndian(data.AsSpan(0), -5);
        BinaryPrimitives.WriteInt64LittleEndian(data.AsSpan(8), 1L << 40);
        BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(16), -7);
        BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(20), 9);
        var header = "{\"ids\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[0,16]},\"m\":{\"dtype\":\"I32\",\"shape\":[1,2],\"data_offsets\":[16,24]}}";
        var h = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + h.Length + 24];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)h.Length);
        h.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + h.Length);
        var path = PathOf("ints.safetensors");
        File.WriteAllBytes(path, bytes);

        using var st = SafeTensors.Open(path);
        Assert.Equal([-5L, 1L << 40], st.GetInt64("ids"));
        Assert.Equal([-7L, 9L], st.GetInt64("m"));
        Assert.Equal("I32", st.DTypeOf("m"));
        var ex = Assert.Throws<SpeechTokException>(() => st.Get("ids"));
        Assert.Contains("'ids'", ex.Message);
        Assert.Contains("I64", ex.Message);
        var missing = Assert.Throws<SpeechTokException>(() => st.Get("nope"));
        Assert.Contains("'nope'", missing.Message);
    }

    [Fact]
    public void FileShorterThanEightBytes() => AssertDefect(CraftRaw([1, 2, 3]), "shorter than the 8-byte header length");

    private string CraftRaw(byte[] bytes)
    {
        var path = PathOf("raw.safetensors");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void HeaderLengthLargerThanFile() => AssertDefect(Craft("{}", 0, headerLength: 1000), "header length 1000 is larger");

    [Fact]
    public void HugeHeaderLengthDoesNotWrap() => AssertDefect(Craft("{}", 0, headerLength: ulong.MaxValue), "is larger");

    [Theory]
    [InlineData("{\"a\":{\"dtype\":\"F32\",", "not valid JSON")]
    [InlineData("[1,2]   ", "not an object")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", "appears twice")]
    [InlineData("{\"__metadata__\":{\"k\":1}}", "not a string")]
    public void MalformedJson(string header, string defect) => AssertDefect(Craft(header, 8), defect);

    [Theory]
    [InlineData("{\"w\":{\"shape\":[2],\"data_offsets\":[0,8]}}", "'w': missing or non-string 'dtype'")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", "'w': missing or non-array 'shape'")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[2]}}", "'w': missing or non-array 'data_offsets'")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0]}}", "expected 2")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", "not a non-negative 32-bit integer")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[-8,0]}}", "not a non-negative integer")]
    [InlineData("{\"w\":3}", "'w': header entry is not an object")]
    public void MissingOrInvalidFields(string header, string defect) => AssertDefect(Craft(header, 8), defect);

    [Fact]
    public void UnknownDType() => AssertDefect(Craft("{\"w\":{\"dtype\":\"F17\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8), "'w': unknown dtype 'F17'");

    [Theory]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", "8 bytes in data_offsets but shape [3] of F32 needs 12")]
    [InlineData("{\"w\":{\"dtype\":\"BF16\",\"shape\":[2,2],\"data_offsets\":[0,4]}}", "needs 8")]
    [InlineData("{\"w\":{\"dtype\":\"F64\",\"shape\":[2147483647,2147483647,2147483647],\"data_offsets\":[0,8]}}", "needs more than 2^63")]
    public void ByteLengthDiffersFromShape(string header, string defect) => AssertDefect(Craft(header, 8), defect);

    [Theory]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", "out of range of the 8-byte data section")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}}", "end before they begin")]
    public void OffsetsOutOfRange(string header, string defect) => AssertDefect(Craft(header, 8), defect);

    [Fact]
    public void OverlappingOffsets() =>
        AssertDefect(Craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8), "overlap");

    /// <summary>Gaps between tensors' data, data not starting at 0, and an empty tensor inside another were accepted; the
    /// reference reader (Rust safetensors, Metadata::validate) sorts by data_offsets and refuses any tensor that does not
    /// begin where the previous one ends (InvalidOffset).</summary>
    [Fact]
    public void GapsAndOverlapsBetweenTensorsAreRefusedNamingTheTensors()
    {
        const string a4 = "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}";
        var gap = Craft("{" + a4 + ",\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 12, name: "gap.safetensors");
        Assert.Equal($"safetensors file '{gap}': bytes [4, 8) of the data, between tensors 'a' [0, 4) and 'b' [8, 12), belong to no tensor: "
            + "each tensor's data must begin where the previous one's ends", Assert.Throws<SpeechTokException>(() => SafeTensors.Open(gap).Dispose()).Message);
        AssertDefect(Craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, name: "late-start.safetensors"),
            "tensor 'a' [4, 8) comes first by offset but begins at 4, not 0: bytes [0, 4) of the data belong to no tensor");
        // an empty tensor occupies no bytes but must still sit on a boundary: not past the last tensor, not inside one
        AssertDefect(Craft("{" + a4 + ",\"e\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,8]}}", 8, name: "empty-past.safetensors"),
            "bytes [4, 8) of the data, between tensors 'a' [0, 4) and 'e' [8, 8), belong to no tensor");
        AssertDefect(Craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"e\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,4]}}", 8, name: "empty-inside.safetensors"),
            "tensors 'a' [0, 8) and 'e' [4, 4) overlap");
        AssertDefect(Craft("{" + a4 + ",\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, name: "same-bytes.safetensors"),
            "tensors 'a' [0, 4) and 'b' [0, 4) overlap");

        // What the reference reader accepts still loads: header order other than offset order, empty tensors on boundaries.
        var ok = Craft("{\"c\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]},\"z\":{\"dtype\":\"F32\",\"shape\":[0,3],\"data_offsets\":[0,0]},"
            + a4 + ",\"m\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,4]},\"n\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,8]}}", 8, name: "unsorted.safetensors");
        using var st = SafeTensors.Open(ok);
        Assert.Equal(["c", "z", "a", "m", "n"], st.Names);
        Assert.Equal([1], st.ShapeOf("c"));
    }

    /// <summary>Bytes after the last tensor's data were accepted; the reference reader (Rust safetensors) refuses the file
    /// (MetadataIncompleteBuffer: 8 + header length + the end of the data offsets must be the file's length).</summary>
    [Fact]
    public void TrailingBytesAfterTheDataAreRefusedWithTheByteCounts()
    {
        const string header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}"; // 54 bytes
        var crafted = Craft(header, 11);
        Assert.Equal($"safetensors file '{crafted}': 3 bytes follow the tensor data: the file is 73 bytes, but 8 (length field) + 54 (header) + 8 (data, to the last tensor's end offset) = 70",
            Assert.Throws<SpeechTokException>(() => SafeTensors.Open(crafted).Dispose()).Message);
        AssertDefect(Craft("{}      ", 1, name: "no-tensors.safetensors"), "1 byte follows the tensor data");
        // an empty tensor at the end ends nothing: the data still ends at the last byte of a tensor
        AssertDefect(Craft("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"e\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,4]}}", 8, name: "empty-last.safetensors"),
            "4 bytes follow the tensor data");

        // What Save writes ends with its data; the same file with a byte appended does not load.
        var path = PathOf("saved.safetensors");
        SafeTensors.Save(path, [("a", Tensor.FromData([1f, 2f], 2)), ("e", Tensor.Zeros(0, 3))]);
        using (var st = SafeTensors.Open(path)) Assert.Equal([1f, 2f], st.Get("a").ToArray());
        var appended = PathOf("appended.safetensors");
        File.WriteAllBytes(appended, [.. File.ReadAllBytes(path), 0]);
        AssertDefect(appended, $"1 byte follows the tensor data: the file is {new FileInfo(appended).Length} bytes");
    }

    /// <summary>The fixtures and the built-in model end where their data ends, so the check above refuses none of them.</summary>
    [Fact]
    public void EveryShippedSafetensorsFileLoads()
    {
        string root = SpeechTok.Tests.Conformance.FixtureRoot.RepoRoot;
        var files = new[] { Path.Combine(root, "tests", "fixtures"), Path.Combine(root, "models") }
            .SelectMany(d => Directory.EnumerateFiles(d, "*.safetensors", SearchOption.AllDirectories)).ToList();
        Assert.True(files.Count >= 9, $"found {files.Count} files");
        foreach (var f in files)
        {
            using var st = SafeTensors.Open(f);
            Assert.NotEmpty(st.Names);
        }
    }

    [Fact]
    public void ShardedModelLoadsThroughTheIndex()
    {
        var folder = Directory.CreateDirectory(PathOf("sharded")).FullName;
        SafeTensors.Save(Path.Combine(folder, "model-00001-of-00002.safetensors"), [("a", Tensor.FromData([1f, 2f], 2))]);
        SafeTensors.Save(Path.Combine(folder, "model-00002-of-00002.safetensors"), [("b", Tensor.FromData([3f], 1)), ("unlisted", Tensor.Zeros(1))]);
        File.WriteAllText(Path.Combine(folder, SafeTensors.IndexFileName),
            "{\"metadata\":{\"total_size\":12},\"weight_map\":{\"a\":\"model-00001-of-00002.safetensors\",\"b\":\"model-00002-of-00002.safetensors\"}}");
        using var st = SafeTensors.OpenModel(folder);
        Assert.Equal(["a", "b"], st.Names);
        Assert.True(st.Contains("b"));
        Assert.False(st.Contains("unlisted"));
        Assert.Equal("12", st.Metadata["total_size"]);
        using var b = st.Get("b");
        Assert.Equal([3f], b.ToArray());
        using var a = st.Get("a");
        Assert.Equal([1f, 2f], a.ToArray());
    }

    [Fact]
    public void SingleFileModelFolder()
    {
        var folder = Directory.CreateDirectory(PathOf("single")).FullName;
        SafeTensors.Save(Path.Combine(folder, SafeTensors.ModelFileName), [("w", Tensor.FromData([4f], 1))]);
        using var st = SafeTensors.OpenModel(folder);
        Assert.Equal(["w"], st.Names);
        var empty = Directory.CreateDirectory(PathOf("empty")).FullName;
        Assert.Contains("neither", Assert.Throws<SpeechTokException>(() => SafeTensors.OpenModel(empty)).Message);
    }

    /// <summary>A folder with only PyTorch weights (pytorch_model.bin, or its shard index) is refused saying so and how to convert it.</summary>
    [Theory]
    [InlineData("pytorch_model.bin")]
    [InlineData("pytorch_model.bin.index.json")]
    public void PyTorchOnlyModelFolderSaysTheBinIsNotReadAndHowToConvert(string file)
    {
        var folder = Directory.CreateDirectory(PathOf("bin-" + file)).FullName;
        File.WriteAllBytes(Path.Combine(folder, file), [0x80, 0x02]);
        var message = Assert.Throws<SpeechTokException>(() => SafeTensors.OpenModel(folder)).Message;
        Assert.Contains($"has neither {SafeTensors.ModelFileName} nor {SafeTensors.IndexFileName}", message);
        Assert.Contains($"it has {file}, a PyTorch checkpoint, which is not read", message);
        Assert.Contains("save_pretrained(folder, safe_serialization=True)", message);
        var empty = Directory.CreateDirectory(PathOf("bin-empty")).FullName;
        Assert.DoesNotContain("PyTorch", Assert.Throws<SpeechTokException>(() => SafeTensors.OpenModel(empty)).Message);
    }

    /// <summary>transformers' from_pretrained looks for model.safetensors before the shard index; the index used to win here.</summary>
    [Fact]
    public void ASingleFileBesideAShardIndexIsTheOneLoaded()
    {
        var folder = Directory.CreateDirectory(PathOf("both")).FullName;
        SafeTensors.Save(Path.Combine(folder, SafeTensors.ModelFileName), [("w", Tensor.FromData([4f], 1))]);
        SafeTensors.Save(Path.Combine(folder, "model-00001-of-00001.safetensors"), [("w", Tensor.FromData([5f], 1))]);
        File.WriteAllText(Path.Combine(folder, SafeTensors.IndexFileName), "{\"weight_map\":{\"w\":\"model-00001-of-00001.safetensors\"}}");
        using var st = SafeTensors.OpenModel(folder);
        using var w = st.Get("w");
        Assert.Equal([4f], w.ToArray());
    }

    [Fact]
    public void IndexNamingAMissingShard()
    {
        var folder = Directory.CreateDirectory(PathOf("missing-shard")).FullName;
        SafeTensors.Save(Path.Combine(folder, "s1.safetensors"), [("a", Tensor.Zeros(1))]);
        var index = Path.Combine(folder, SafeTensors.IndexFileName);
        File.WriteAllText(index, "{\"weight_map\":{\"a\":\"s1.safetensors\",\"b\":\"s2.safetensors\"}}");
        var ex = Assert.Throws<SpeechTokException>(() => SafeTensors.OpenModel(folder));
        Assert.Contains(index, ex.Message);
        Assert.Contains("shard 's2.safetensors'", ex.Message);
        Assert.Contains("does not exist", ex.Message);
    }

    [Fact]
    public void IndexNamingATensorAbsentFromItsShard()
    {
        var folder = Directory.CreateDirectory(PathOf("absent")).FullName;
        SafeTensors.Save(Path.Combine(folder, "s1.safetensors"), [("a", Tensor.Zeros(1))]);
        var index = Path.Combine(folder, SafeTensors.IndexFileName);
        File.WriteAllText(index, "{\"weight_map\":{\"a\":\"s1.safetensors\",\"ghost\":\"s1.safetensors\"}}");
        var ex = Assert.Throws<SpeechTokException>(() => SafeTensors.OpenModel(folder));
        Assert.Contains(index, ex.Message);
        Assert.Contains("'ghost' is not in its shard 's1.safetensors'", ex.Message);
    }

    [Fact]
    public void MalformedIndex()
    {
        var folder = Directory.CreateDirectory(PathOf("bad-index")).FullName;
        var index = Path.Combine(folder, SafeTensors.IndexFileName);
        File.WriteAllText(index, "{\"weight_map\":");
        Assert.Contains("not valid JSON", Assert.Throws<SpeechTokException>(() => SafeTensors.OpenModel(folder)).Message);
        File.WriteAllText(index, "{\"metadata\":{}}");
        Assert.Contains("no 'weight_map'", Assert.Throws<SpeechTokException>(() => SafeTensors.OpenModel(folder)).Message);
    }

    [Fact]
    public void CorruptShardIsReportedWithItsPath()
    {
        var folder = Directory.CreateDirectory(PathOf("corrupt-shard")).FullName;
        var shard = Path.Combine(folder, "s1.safetensors");
        File.WriteAllBytes(shard, [9, 0, 0]);
        File.WriteAllText(Path.Combine(folder, SafeTensors.IndexFileName), "{\"weight_map\":{\"a\":\"s1.safetensors\"}}");
        var ex = Assert.Throws<SpeechTokException>(() => SafeTensors.OpenModel(folder));
        Assert.Contains(shard, ex.Message);
    }

    [Fact]
    public void SaveRejectsDuplicateNamesAndLeavesNoFile()
    {
        var path = PathOf("dup.safetensors");
        var ex = Assert.Throws<SpeechTokException>(() => SafeTensors.Save(path, [("x", Tensor.Zeros(1)), ("x", Tensor.Zeros(1))]));
        Assert.Contains("'x' appears twice", ex.Message);
        Assert.Empty(Directory.GetFiles(_dir));
    }

    [Fact]
    public void UnwritableTargetIsASpeechTokException()
    {
        var blocker = PathOf("not-a-folder");
        File.WriteAllText(blocker, "x");
        var ex = Assert.Throws<SpeechTokException>(() => SafeTensors.Save(Path.Combine(blocker, "w.safetensors"), [("w", Tensor.Zeros(1))]));
        Assert.Contains(blocker, ex.Message);
    }

    [Fact]
    public void MissingFileIsASpeechTokException() =>
        Assert.Contains("cannot open", Assert.Throws<SpeechTokException>(() => SafeTensors.Open(PathOf("nope.safetensors"))).Message);
}
