using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using SpeechTok.Tensors.IO;
using Xunit.Abstractions;

namespace SpeechTok.Tests.Fuzz;

/// <summary>
/// safetensors files and sharded model folders: the JSON header (shapes, dtypes, offsets, metadata) mutated
/// node by node and written back with a correct or a stale length prefix, the 8-byte length field set to
/// boundary values, byte mutations of the whole file; for folders, the index mutated the same way. Every
/// tensor of a file that opens is then read in full.
/// </summary>
public sealed class SafeTensorsFuzzTests(ITestOutputHelper output, FuzzLog log) : IClassFixture<FuzzLog>
{
    /// <summary>A safetensors file: header JSON (as given), padded to 8 bytes, then <paramref name="data"/>.</summary>
    private static byte[] File(string header, byte[] data, ulong? length = null)
    {
        var h = Encoding.UTF8.GetBytes(header);
        int padded = (h.Length + 7) / 8 * 8;
        var b = new byte[8 + padded + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(b, length ?? (ulong)padded);
        h.CopyTo(b, 8);
        for (int i = h.Length; i < padded; i++) b[8 + i] = (byte)' ';
        data.CopyTo(b, 8 + padded);
        return b;
    }

    private static byte[] Data(int n, int seed)
    {
        var d = new byte[n];
        new Random(seed).NextBytes(d);
        for (int i = 0; i + 3 < n; i += 4) d[i + 3] &= 0x3F; // keep F32 values finite
        return d;
    }

    private const string Mixed = """
        {"__metadata__": {"format": "pt"}, "w": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]},
         "b": {"dtype": "BF16", "shape": [4], "data_offsets": [24, 32]}, "h": {"dtype": "F16", "shape": [1, 2], "data_offsets": [32, 36]},
         "ids": {"dtype": "I64", "shape": [2], "data_offsets": [36, 52]}, "mask": {"dtype": "BOOL", "shape": [3], "data_offsets": [52, 55]},
         "empty": {"dtype": "F32", "shape": [0, 5], "data_offsets": [55, 55]}, "scalar": {"dtype": "F32", "shape": [], "data_offsets": [55, 59]}}
        """;

    private const string Small = """{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "c": {"dtype": "I32", "shape": [1, 1], "data_offsets": [8, 12]}}""";

    private static void ReadAll(SafeTensors st)
    {
        foreach (var name in st.Names)
        {
            var dtype = st.DTypeOf(name);
            _ = st.ShapeOf(name);
            if (dtype is "F32" or "BF16" or "F16")
            {
                using var t = st.Get(name);
                double sum = 0;
                foreach (var v in t.ToF32().ReadOnlySpan) sum += v;
            }
            else if (dtype is "I64" or "I32" or "I16" or "I8" or "U8" or "BOOL") st.GetInt64(name);
        }
    }

    private static byte[] MutatedFile(Mutator m, string header, int dataBytes, int seed)
    {
        var data = Data(dataBytes, seed);
        switch (m.Next(5))
        {
            case 4: return File(header, m.Bytes(data) is var d && d.Length >= data.Length ? d[..data.Length] : data); // well-formed header, odd values (NaN, Inf)
            case 0: return File(m.Json(header), data);
            case 1: return File(m.Json(header), data, length: (ulong)m.BoundaryValue());
            case 2:
            {
                var b = File(header, data);
                m.CorruptField(b, 0, 8);
                return b;
            }
            default: return m.Bytes(File(header, data));
        }
    }

    [Fact]
    public void MutatedFilesFailOnlyWithANamedError()
    {
        Fuzzer.Run(line => log.Report(output, line), "safetensors", seed: 1305, (m, i) =>
            new() { ["model.safetensors"] = i % 2 == 0 ? MutatedFile(m, Mixed, 59, i) : MutatedFile(m, Small, 12, i) },
            dir =>
            {
                using var st = SafeTensors.Open(Path.Combine(dir, "model.safetensors"));
                ReadAll(st);
            }).RequireShares(accepted: 0.10, rejected: 0.40); // this seed: 20.4 % accepted, 79.6 % rejected
    }

    [Fact]
    public void MutatedShardedFoldersFailOnlyWithANamedError()
    {
        var index = new JsonObject
        {
            ["metadata"] = new JsonObject { ["total_size"] = 71 },
            ["weight_map"] = new JsonObject
            {
                ["w"] = "model-00001-of-00002.safetensors", ["b"] = "model-00001-of-00002.safetensors", ["ids"] = "model-00001-of-00002.safetensors",
                ["a"] = "model-00002-of-00002.safetensors", ["c"] = "model-00002-of-00002.safetensors",
            },
        }.ToJsonString();
        const string shard1 = """{"w": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}, "b": {"dtype": "BF16", "shape": [4], "data_offsets": [24, 32]}, "ids": {"dtype": "I64", "shape": [2], "data_offsets": [32, 48]}}""";
        Fuzzer.Run(line => log.Report(output, line), "safetensors index", seed: 1306, (m, i) =>
        {
            var files = new Dictionary<string, byte[]>
            {
                [SafeTensors.IndexFileName] = Encoding.UTF8.GetBytes(index),
                ["model-00001-of-00002.safetensors"] = File(shard1, Data(48, 1)),
                ["model-00002-of-00002.safetensors"] = File(Small, Data(12, 2)),
            };
            int r = m.Next(10);
            if (r < 7) files[SafeTensors.IndexFileName] = m.Chance(0.8) ? Encoding.UTF8.GetBytes(m.Json(index)) : m.Bytes(files[SafeTensors.IndexFileName]);
            else if (r < 9) files["model-00001-of-00002.safetensors"] = MutatedFile(m, shard1, 48, i);
            else files.Remove("model-00002-of-00002.safetensors");
            return files;
        }, dir =>
        {
            using var st = SafeTensors.OpenModel(dir);
            ReadAll(st);
        }).RequireShares(accepted: 0.05, rejected: 0.40); // this seed: 12.5 % accepted, 87.5 % rejected
    }
}
