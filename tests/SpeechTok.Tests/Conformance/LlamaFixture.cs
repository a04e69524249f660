using System.Text.Json;
using SpeechTok.Lm.Model;
using SpeechTok.Tensors;
using SpeechTok.Tensors.IO;

namespace SpeechTok.Tests.Conformance;

/// <summary>One llama-* fixture folder: its reference.json manifest, .bin tensors and safetensors weights.</summary>
internal sealed class LlamaFixture
{
    public string Folder { get; }
    public JsonElement Reference { get; }
    public LlamaConfig Config { get; }
    private readonly List<SafeTensors> _open = [];

    public LlamaFixture(string name)
    {
        Folder = FixtureRoot.Folder(name);
        Reference = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "reference.json"))).RootElement;
        Config = LlamaConfig.Load(Folder);
    }

    /// <summary>Whether the manifest lists the tensor.</summary>
    public bool Has(string tensor) => Reference.GetProperty("tensors").TryGetProperty(tensor, out _);

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
        var st = SafeTensors.Open(Path.Combine(Folder, file));
        _open.Add(st); // the weights are views of the mapped file: keep it open for the fixture's lifetime
        return LlamaWeights.Load(Config, name => st.Contains(name) ? st.Get(name) : null);
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
