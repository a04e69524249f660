using SpeechTok.Codec.Torch;
using SpeechTok.Tensors;
using SpeechTok.Tensors.IO;

namespace SpeechTok.Codec.SpeechTokenizer;

/// <summary>Named float32 weights from a torch .pt or a .safetensors file, with shape checks that name the file and tensor.</summary>
internal sealed class CheckpointWeights : IDisposable
{
    private readonly Dictionary<string, Tensor>? _pt;
    private readonly SafeTensors? _st;

    public string Path { get; }

    private CheckpointWeights(string path, Dictionary<string, Tensor>? pt, SafeTensors? st)
    {
        Path = path;
        _pt = pt;
        _st = st;
    }

    public static CheckpointWeights Open(string path)
    {
        if (!File.Exists(path)) throw new SpeechTokException($"checkpoint '{path}' does not exist");
        return path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase)
            ? new CheckpointWeights(path, null, SafeTensors.Open(path))
            : new CheckpointWeights(path, TorchCheckpoint.Load(path), null);
    }

    public bool Contains(string name) => _pt?.ContainsKey(name) ?? _st!.Contains(name);

    /// <summary>The tensor's values (a float32 copy), after checking its shape.</summary>
    public float[] Get(string name, params int[] shape)
    {
        if (!Contains(name)) throw new SpeechTokException($"{Path}: tensor '{name}' is missing");
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

    public void Dispose() => _st?.Dispose();
}
