using System.IO.Compression;
using SpeechTok.Codec.Torch;
using SpeechTok.Tests.Conformance;
using Xunit.Abstractions;

namespace SpeechTok.Tests.Fuzz;

/// <summary>
/// torch.save checkpoints (.pt): mostly the pickle inside mutated and zipped again (so the mutations reach the
/// pickle machine: opcodes, lengths, memo slots, globals, storage records, tensor sizes and strides), plus the
/// storages' sizes and raw byte mutations of the zip itself. Seeds: tests/fixtures/fuzz/*.pt (make_pt_seeds.py).
/// </summary>
public sealed class PickleFuzzTests(ITestOutputHelper output, FuzzLog log) : IClassFixture<FuzzLog>
{
    private static readonly string SeedDir = Path.Combine(FixtureRoot.RepoRoot, "tests", "fixtures", "fuzz");

    /// <summary>Opcodes and operands spliced into a pickle: containers, memo, globals (allowed and not), persistent ids, big lengths.</summary>
    private static readonly byte[][] Snippets =
    [
        "("u8.ToArray(), "t"u8.ToArray(), "R"u8.ToArray(), "Q"u8.ToArray(), "b"u8.ToArray(), "s"u8.ToArray(), "u"u8.ToArray(), "e"u8.ToArray(),
        "a"u8.ToArray(), "0"u8.ToArray(), "2"u8.ToArray(), "."u8.ToArray(), "N"u8.ToArray(), ")"u8.ToArray(), "}"u8.ToArray(), "]"u8.ToArray(),
        [0x85], [0x86], [0x87], [0x88], [0x89], [0x94], [(byte)'h', 0xFF], [(byte)'j', 0xFF, 0xFF, 0xFF, 0x7F], [(byte)'q', 0x00],
        [(byte)'X', 0xFF, 0xFF, 0xFF, 0x7F], [(byte)'X', 0xFF, 0xFF, 0xFF, 0xFF], [0x8c, 0xFF], [0x8d, 0, 0, 0, 0x80, 0, 0, 0, 0],
        [0x8a, 0x09], [0x8b, 0xFF, 0xFF, 0xFF, 0xFF], [(byte)'J', 0xFF, 0xFF, 0xFF, 0xFF], [(byte)'K', 0x00], [(byte)'M', 0xFF, 0xFF],
        [(byte)'G', 0x7F, 0xF8, 0, 0, 0, 0, 0, 0], [0x95, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF],
        "ctorch._utils\n_rebuild_tensor_v2\n"u8.ToArray(), "ccollections\nOrderedDict\n"u8.ToArray(), "ctorch\nFloatStorage\n"u8.ToArray(),
        "cos\nsystem\n"u8.ToArray(), "cbuiltins\neval\n"u8.ToArray(), [0x93],
    ];

    private static (string Name, byte[] Data)[] Entries(string path)
    {
        using var zip = ZipFile.OpenRead(path);
        return zip.Entries.Select(e =>
        {
            using var s = e.Open();
            var ms = new MemoryStream();
            s.CopyTo(ms);
            return (e.FullName, ms.ToArray());
        }).ToArray();
    }

    private static byte[] Zip(IEnumerable<(string Name, byte[] Data)> entries)
    {
        var ms = new MemoryStream();
        using (var zip = new ZipArchive(ms, ZipArchiveMode.Create, leaveOpen: true))
            foreach (var (name, data) in entries)
            {
                using var s = zip.CreateEntry(name, CompressionLevel.NoCompression).Open();
                s.Write(data);
            }
        return ms.ToArray();
    }

    private static byte[] MutatePickle(Mutator m, byte[] pkl)
    {
        var b = new List<byte>(pkl);
        for (int k = 1 + m.Next(3); k > 0; k--)
        {
            int pos = m.Next(b.Count + 1);
            switch (m.Next(4))
            {
                case 3:
                {
                    // an integer operand (sizes, strides, offsets, numel, memo keys) set to a boundary value: K x → J xxxx
                    var ints = Enumerable.Range(0, b.Count).Where(x => b[x] is (byte)'K' or (byte)'J').ToList();
                    if (ints.Count == 0) break;
                    int at = m.Pick(ints);
                    var v = BitConverter.GetBytes((int)m.BoundaryValue());
                    if (b[at] == (byte)'K' && at + 1 < b.Count) { b[at] = (byte)'J'; b.RemoveAt(at + 1); b.InsertRange(at + 1, v); }
                    else for (int x = 0; x < 4 && at + 1 + x < b.Count; x++) b[at + 1 + x] = v[x];
                    break;
                }
                case 0: b.InsertRange(pos, m.Pick(Snippets)); break;
                case 1 when pos < b.Count: b.RemoveRange(pos, Math.Min(b.Count - pos, 1 + m.Next(6))); break;
                default: if (pos < b.Count) b[pos] = m.Pick(Snippets)[0]; break;
            }
        }
        return m.Chance(0.3) ? m.Bytes(b.ToArray()) : b.ToArray();
    }

    [Fact]
    public void MutatedCheckpointsFailOnlyWithANamedError()
    {
        var seeds = Directory.GetFiles(SeedDir, "*.pt").OrderBy(f => f, StringComparer.Ordinal).Select(Entries).ToArray();
        Assert.NotEmpty(seeds);
        Fuzzer.Run(line => log.Report(output, line), "pt pickle", seed: 1307, (m, i) =>
        {
            var entries = m.Pick(seeds).Select(e => (e.Name, (byte[])e.Data.Clone())).ToArray();
            int r = m.Next(10);
            if (r < 7)
            {
                int p = Array.FindIndex(entries, e => e.Name.EndsWith("/data.pkl", StringComparison.Ordinal));
                entries[p].Item2 = MutatePickle(m, entries[p].Item2);
            }
            else if (r < 9)
            {
                // a storage of the wrong size, or missing
                var storages = Enumerable.Range(0, entries.Length).Where(j => entries[j].Name.Contains("/data/", StringComparison.Ordinal)).ToArray();
                int j = m.Pick(storages);
                if (m.Chance(0.3)) entries = entries.Where((_, x) => x != j).ToArray();
                else entries[j].Item2 = m.Bytes(entries[j].Item2);
            }
            var zip = Zip(entries);
            return new() { ["model.pt"] = r == 9 ? m.Bytes(zip) : zip };
        }, dir =>
        {
            foreach (var (_, t) in TorchCheckpoint.Load(Path.Combine(dir, "model.pt")))
            {
                double sum = 0;
                foreach (var v in t.ReadOnlySpan) sum += v;
            }
        }).RequireShares(accepted: 0.03, rejected: 0.50); // this seed: 7 % accepted, 93 % rejected
    }

    [Fact]
    public void SeedsLoad()
    {
        var sd = TorchCheckpoint.Load(Path.Combine(SeedDir, "state_dict.pt"));
        Assert.Equal([3f, -1f], sd["steps"].ToArray());
        Assert.Equal([0f, 3, 1, 4, 2, 5], sd["transposed"].ToArray());
        Assert.Equal([5f, 6, 7, 8, 9, 10, 11], sd["view_b"].ToArray());
        Assert.Equal([1f, 1], sd["nested.inner"].ToArray());
        var mixed = TorchCheckpoint.Load(Path.Combine(SeedDir, "mixed.pt"));
        Assert.Equal([0, 3], mixed["empty"].Shape);
        Assert.Equal([1.5f], mixed["scalar"].ToArray());
        Assert.Equal([200f], mixed["uint8"].ToArray());
        Assert.Equal([1f, 1, 1, 1], mixed["param"].ToArray());
    }
}
