using SpeechTok.Codec.Torch;
using SpeechTok.IO;
using SpeechTok.Tensors;
using SpeechTok.Tensors.IO;

namespace SpeechTok.Codec.SpeechTokenizer;

/// <summary>
/// Named float32 weights from a torch .pt or a .safetensors file, with shape checks that name the file and tensor;
/// or random weights of whatever shape is asked for (benchmarks).
/// </summary>
internal sealed class CheckpointWeights : IDisposable
{
    private readonly Dictionary<string, Tensor>? _pt;
    private readonly SafeTensors? _st;
    private readonly Random? _random;
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    public string Path { get; }
    /// <summary>Seeded random weights (benchmarks): every name exists.</summary>
    public bool IsRandom => _random != null;

    private CheckpointWeights(string path, Dictionary<string, Tensor>? pt, SafeTensors? st, Random? random = null)
    {
        Path = path;
        _pt = pt;
        _st = st;
        _random = random;
    }

    /// <summary>Uniform ±1/√fan_in tensors (PyTorch's default init scale); weight-norm gains and Snake α are 1.</summary>
    public static CheckpointWeights Random(int seed) => new("(random weights)", null, null, new Random(seed));

    public static CheckpointWeights Open(string path)
    {
        path = InputPaths.RequireFile(path, "checkpoint");
        return path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase)
            ? new CheckpointWeights(path, null, SafeTensors.Open(path))
            : new CheckpointWeights(path, TorchCheckpoint.Load(path), null);
    }

    public bool Contains(string name) => _random != null || (_pt?.ContainsKey(name) ?? _st!.Contains(name));

    /// <summary>Every tensor name in the file (none for random weights).</summary>
    public IEnumerable<string> Names => _random != null ? [] : _pt?.Keys ?? (IEnumerable<string>)_st!.Names;

    /// <summary>Whether <see cref="Get"/> has read the tensor.</summary>
    public bool WasRead(string name) => _used.Contains(name);

    /// <summary>The tensor's values (a float32 copy), after checking its shape.</summary>
    public float[] Get(string name, params int[] shape)
    {
        if (!Contains(name)) throw new SpeechTokException($"{Path}: tensor '{name}' is missing");
        _used.Add(name);
        if (_random != null) return RandomValues(name, shape);
        var t = _pt != null ? _pt[name] : _st!.Get(name);
        try
        {
            if (!t.Shape.AsSpan().SequenceEqual(shape))
                throw new SpeechTokException($"{Path}: tensor '{name}' has shape {ShapeMismatchException.Format(t.Shape)}, expected {ShapeMismatchException.Format(shape)}");
            return t.ToArray();
        }
        finally
        {
            if (_st != null) t.Dispose(); // releases the mapping lease of a safetensors view
        }
    }

    private float[] RandomValues(string name, int[] shape)
    {
        var v = new float[Tensor.Count(shape)];
        if (name.EndsWith("weight_g", StringComparison.Ordinal) || name.EndsWith("alpha", StringComparison.Ordinal))
        {
            v.AsSpan().Fill(1f);
            return v;
        }
        int fanIn = shape.Length > 1 ? (int)(v.Length / shape[0]) : shape[0];
        float bound = 1f / MathF.Sqrt(fanIn);
        for (int i = 0; i < v.Length; i++) v[i] = (float)(_random!.NextDouble() * 2 - 1) * bound;
        return v;
    }

    public void Dispose() => _st?.Dispose();
}
