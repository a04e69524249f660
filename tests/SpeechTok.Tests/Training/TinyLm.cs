using SpeechTok.Training;

namespace SpeechTok.Tests.Training;

/// <summary>
/// A tiny Llama pre-trained from scratch by <see cref="LmTrainer"/> on a few texts (about a second), standing in
/// for the built-in LM wherever a test runs the pipeline end to end. It trains on windows of 32 tokens but declares
/// the built-in LM's context (<see cref="Context"/>), so that the pipeline's default <c>--max-length</c> fits it as it
/// fits the built-in LM (RoPE computes any position; the declared context is only checked).
/// </summary>
internal static class TinyLm
{
    /// <summary>The <c>max_position_embeddings</c> its config.json declares: the built-in LM's, the default max length.</summary>
    public const int Context = SpeechTok.Lm.Serialization.SampleSerializer.DefaultMaxLength;

    public static readonly LmTrainOptions Options = new()
    {
        VocabSize = 300, Shape = new LlamaShape(32, 2, 2, 1, 64), SeqLen = 32, BatchSize = 4, Lr = 1e-2, MinLr = 1e-3,
        WarmupSteps = 4, MaxSteps = 20, EvalEvery = 20, CheckpointEvery = 20, EvalBatchSize = 4, Seed = 5,
    };

    /// <summary>The model folder <paramref name="dir"/>, trained on <paramref name="texts"/> unless it is already there.</summary>
    public static string Train(IReadOnlyList<string> texts, string dir)
    {
        if (File.Exists(Path.Combine(dir, "model.safetensors"))) return dir;
        var docs = texts.Select((t, i) => new TextDocument($"{i}.txt", t)).ToList();
        LmTrainer.Run(new LmTrainSpec { Train = docs, Valid = docs.TakeLast(2).ToList(), Out = dir, Options = Options });
        string config = Path.Combine(dir, "config.json");
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(config))!;
        json["max_position_embeddings"] = Context;
        File.WriteAllText(config, json.ToJsonString());
        return dir;
    }
}
