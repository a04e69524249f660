using System.Text;
using System.Text.Json;
using SpeechTok.Lm.Model;
using SpeechTok.Tensors;

namespace SpeechTok.Tests.Conformance;

/// <summary>One llama-* fixture folder: its reference.json manifest, .bin tensors and safetensors weights.</summary>
internal sealed class LlamaFixture
{
    public string Folder { get; }
    public JsonElement Reference { get; }
    public LlamaConfig Config { get; }

    public LlamaFixture(string name)
    {
        Folder = FixtureRoot.Folder(name);
        Reference = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "reference.json"))).RootElement;
        Config = LlamaConfig.Load(Folder);
    }

    public int[] Shape(string tensor) => Reference.GetProperty("tensors").GetProperty(tensor).GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();

    public float[] F32(string tensor)
    {
        var bytes = File.ReadAllBytes(Path.Combine(Folder, tensor + ".bin"));
        Assert.Equal("float32", Reference.GetProperty("tensors").GetProperty(tensor).GetProperty("dtype").GetString());
        var a = new float[bytes.Length / 4];
        Buffer.BlockCopy(bytes, 0, a, 0, bytes.Length);
        return a;
    }

    public int[] I64(string tensor)
    {
        var bytes = File.ReadAllBytes(Path.Combine(Folder, tensor + ".bin"));
        var a = new int[bytes.Length / 8];
        for (int i = 0; i < a.Length; i++) a[i] = checked((int)BitConverter.ToInt64(bytes, i * 8));
        return a;
    }

    public JsonElement Result(params string[] path)
    {
        var e = Reference.GetProperty("results");
        foreach (var p in path) e = e.GetProperty(p);
        return e;
    }

    public Tensor Load(string tensor) => SpeechTok.Tensors.Tensor.FromData(F32(tensor), Shape(tensor));

    public LlamaWeights Weights(string file = "model.safetensors")
    {
        var all = ReadSafeTensors(Path.Combine(Folder, file));
        return LlamaWeights.Load(Config, name => all.GetValueOrDefault(name));
    }

    // Minimal reader for the fixture's own files (F32/BF16); the product reader lives in SpeechTok.Tensors.IO.
    private static unsafe Dictionary<string, Tensor> ReadSafeTensors(string path)
    {
        var bytes = File.ReadAllBytes(path);
        long len = BitConverter.ToInt64(bytes, 0);
        var header = JsonDocument.Parse(Encoding.UTF8.GetString(bytes, 8, (int)len)).RootElement;
        var d = new Dictionary<string, Tensor>();
        foreach (var p in header.EnumerateObject())
        {
            if (p.Name == "__metadata__") continue;
            var shape = p.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var off = p.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            string dt = p.Value.GetProperty("dtype").GetString()!;
            int start = (int)(8 + len + off[0]), n = (int)(off[1] - off[0]);
            if (dt == "F32")
            {
                var f = new float[n / 4];
                Buffer.BlockCopy(bytes, start, f, 0, n);
                d[p.Name] = SpeechTok.Tensors.Tensor.FromData(f, shape);
            }
            else
            {
                Assert.Equal("BF16", dt);
                var mem = GC.AllocateArray<byte>(n, pinned: true);
                Buffer.BlockCopy(bytes, start, mem, 0, n);
                fixed (byte* q = mem) d[p.Name] = SpeechTok.Tensors.Tensor.View(DType.BF16, q, shape, new Keep(mem), readOnly: true);
            }
        }
        return d;
    }

    private sealed class Keep(byte[] mem) : IDisposable
    {
        public byte[] Memory { get; } = mem;
        public void Dispose() { }
    }

    /// <summary>|a − b| ≤ atol + rtol·|b| at every position whose mask is 1 (rows of <paramref name="row"/> values).</summary>
    public static void Close(string what, float[] expected, float[] actual, int[]? mask, int row, double rtol = 1e-4, double atol = 1e-5)
    {
        Assert.Equal(expected.Length, actual.Length);
        int bad = 0; double worst = 0; int worstAt = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            if (mask != null && mask[i / row] == 0) continue;
            double err = Math.Abs(actual[i] - expected[i]), lim = atol + rtol * Math.Abs(expected[i]);
            if (err > lim) { bad++; if (err - lim > worst) { worst = err - lim; worstAt = i; } }
        }
        Assert.True(bad == 0, $"{what}: {bad} values outside tolerance; worst at {worstAt}: expected {(worstAt >= 0 ? expected[worstAt] : 0)}, got {(worstAt >= 0 ? actual[worstAt] : 0)}");
    }

    /// <summary>max|a − b| / max|b| ≤ tol (the fixture's gradient criterion).</summary>
    public static void RelClose(string what, float[] expected, float[] actual, double tol = 1e-3)
    {
        Assert.Equal(expected.Length, actual.Length);
        double maxErr = 0, maxRef = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            maxErr = Math.Max(maxErr, Math.Abs(actual[i] - expected[i]));
            maxRef = Math.Max(maxRef, Math.Abs(expected[i]));
        }
        Assert.True(maxRef > 0, $"{what}: reference is all zeros");
        Assert.True(maxErr <= tol * maxRef, $"{what}: max error {maxErr:g4} vs max reference {maxRef:g4} (relative {maxErr / maxRef:g3} > {tol})");
    }
}
