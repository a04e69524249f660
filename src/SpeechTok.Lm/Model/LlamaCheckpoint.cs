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

    /// <summary>Opens <paramref name="folder"/> as a causal LM; a fine-tuned classifier is refused (<see cref="RequireCausalLm"/>),
    /// the message ending with <paramref name="need"/> (what the caller needs instead).</summary>
    public static LlamaCheckpoint Open(string folder, string need = "a causal LM is needed here: give a language model folder, such as the base model")
    {
        var config = LlamaConfig.Load(folder);
        var file = SafeTensors.OpenModel(folder);
        try
        {
            RequireCausalLm(folder, config, file, need);
            var weights = LlamaWeights.Load(config, file, folder);
            return new LlamaCheckpoint(file, config, weights);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>The head of a sequence classifier (HF's <c>LlamaForSequenceClassification</c> and its Qwen2/Mistral twins).</summary>
    public const string ScoreTensor = "score.weight";

    /// <summary>
    /// Refuses a sequence-classification checkpoint where a causal LM is loaded: config.json's <c>architectures</c> names a
    /// <c>…ForSequenceClassification</c>, or the weights hold a <see cref="ScoreTensor"/> head (a fully fine-tuned seed folder,
    /// as HF's <c>save_pretrained</c> writes one). Without this, the head was reported as a tensor the config does not use,
    /// which says nothing of the mix-up. <paramref name="need"/> ends the message: what the caller needs instead.
    /// </summary>
    public static void RequireCausalLm(string folder, LlamaConfig config, SafeTensors file, string need)
    {
        bool classifier = config.Architecture.EndsWith("ForSequenceClassification", StringComparison.Ordinal);
        if (!classifier && !file.Contains(ScoreTensor)) return;
        string what = classifier ? config.Architecture : $"a {ScoreTensor} head, though config.json names {config.Architecture}";
        throw new SpeechTokException($"{folder} is a fine-tuned classifier ({what}), not a causal LM: {need}");
    }

    public void Dispose() => _file.Dispose();
}
