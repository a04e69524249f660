using SpeechTok.Tensors.IO;

namespace SpeechTok.Lm.Model;

/// <summary>
/// A Hugging Face model folder opened for use: config.json plus the memory-mapped safetensors weights
/// (single file or shards). The weights are views of the mapped files, so keep this open while using them.
/// </summary>
public sealed class LlamaCheckpoint : IDisposable
{
    private readonly SafeTensors _file;
    public LlamaConfig Config { get; }
    public LlamaWeights Weights { get; }

    private LlamaCheckpoint(SafeTensors file, LlamaConfig config, LlamaWeights weights)
    {
        _file = file; Config = config; Weights = weights;
    }

    public static LlamaCheckpoint Open(string folder)
    {
        var config = LlamaConfig.Load(folder);
        var file = SafeTensors.OpenModel(folder);
        try
        {
            var weights = LlamaWeights.Load(config, file, folder);
            return new LlamaCheckpoint(file, config, weights);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    public void Dispose() => _file.Dispose();
}
