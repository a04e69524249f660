using System.Text.Json.Nodes;
using SpeechTok.Evaluation;
using SpeechTok.IO;
using SpeechTok.Lm.Model;
using SpeechTok.Tensors;
using SpeechTok.Tensors.IO;

namespace SpeechTok.Training;

/// <summary>
/// A fully fine-tuned seed (<c>--finetuning-type full</c>) on disk as HF's <c>save_pretrained</c> of a
/// <c>LlamaForSequenceClassification</c> after <c>resize_token_embeddings(len(tokenizer))</c>: config.json (the base
/// model's, with the SequenceClassification architecture, the resized vocab_size, pad_token_id, id2label/label2id and
/// problem_type) and model.safetensors with every backbone tensor under its HF name (<c>model.embed_tokens.weight</c>
/// holding the appended rows too) plus <c>score.weight</c> [num_labels, hidden]. No lm_head: the classifier has none.
/// The tokenizer is the run's (run.json's model with its vocabulary extension).
/// </summary>
public static class FullModel
{
    public const string ConfigFile = "config.json", WeightsFile = "model.safetensors", ScoreKey = "score.weight";
    private const string EmbedKey = "model.embed_tokens.weight";

    /// <summary>Writes <paramref name="weights"/> (appended rows folded into the embedding table) and <paramref name="score"/> [numLabels·hidden],
    /// atomically; id2label takes <paramref name="labelNames"/> (the manifest's), else HF's LABEL_i.</summary>
    public static void Save(string dir, LlamaWeights weights, float[] score, int numLabels, TaskKind task, string baseModel, int padId, IReadOnlyList<string>? labelNames = null)
    {
        Directory.CreateDirectory(dir);
        int h = weights.Config.HiddenSize, v = weights.VocabSize;
        var table = Tensor.Zeros(v, h);
        weights.EmbedTokens.CopyTo(0, table.Span[..(weights.BaseVocabSize * h)]);
        weights.NewEmbedRows?.CopyTo(0, table.Span[(weights.BaseVocabSize * h)..]);
        var tensors = weights.Named().Where(e => e.Name != "lm_head.weight").Select(e => e.Name == EmbedKey ? (e.Name, table) : e)
            .Append((ScoreKey, Checkpoint.Alias(score, numLabels, h)));
        SafeTensors.Save(Path.Combine(dir, WeightsFile), tensors, new Dictionary<string, string> { ["format"] = "pt" });

        var config = ArtifactJson.ReadObject(Path.Combine(baseModel, ConfigFile));
        string arch = weights.Config.Architecture;
        config["architectures"] = new JsonArray((arch.EndsWith("ForCausalLM") ? arch[..^"ForCausalLM".Length] : arch.Replace("Model", "")) + "ForSequenceClassification");
        config["vocab_size"] = v;
        // The tensors are F32 whatever the base model's dtype: a loader that honours the config must not downcast them.
        config["torch_dtype"] = "float32";
        if (config.ContainsKey("dtype")) config["dtype"] = "float32";
        config["pad_token_id"] = padId;
        string Name(int i) => labelNames is { } n && n.Count == numLabels && n.Distinct().Count() == numLabels ? n[i] : $"LABEL_{i}";
        config["id2label"] = new JsonObject(Enumerable.Range(0, numLabels).Select(i => KeyValuePair.Create(i.ToString(), (JsonNode?)Name(i))));
        config["label2id"] = new JsonObject(Enumerable.Range(0, numLabels).Select(i => KeyValuePair.Create(Name(i), (JsonNode?)i)));
        config["problem_type"] = task == TaskKind.Multilabel ? "multi_label_classification" : "single_label_classification";
        RunFiles.WriteJson(Path.Combine(dir, ConfigFile), config);
    }

    /// <summary>
    /// Loads a seed folder written by <see cref="Save"/>: weights (memory-mapped; valid while the returned file is open)
    /// and score.weight. Errors name the file: missing files or tensors, shapes that differ from the config,
    /// a vocab_size other than <paramref name="vocabSize"/> (the run's extended tokenizer), or another label count.
    /// </summary>
    public static (LlamaWeights Weights, float[] Score, SafeTensors File) Load(string dir, int vocabSize, int numLabels)
    {
        var c = LlamaConfig.Load(dir);
        string path = Path.Combine(dir, WeightsFile);
        if (c.VocabSize != vocabSize)
            throw new SpeechTokException($"{Path.Combine(dir, ConfigFile)}: vocab_size {c.VocabSize}, but the run's tokenizer has {vocabSize} ids");
        if (!File.Exists(path)) throw new SpeechTokException($"fine-tuned model '{path}' not found");
        var st = SafeTensors.Open(path);
        try
        {
            // The classifier has no lm_head whether or not the base model ties it: read it as tied.
            var w = LlamaWeights.Load(c with { TieWordEmbeddings = true }, st, path, ScoreKey);
            if (!st.Contains(ScoreKey)) throw new SpeechTokException($"{path}: tensor '{ScoreKey}' is missing");
            using var s = st.Get(ScoreKey);
            s.ExpectShape($"{path}: {ScoreKey}", numLabels, c.HiddenSize);
            return (w, s.ToArray(), st);
        }
        catch
        {
            st.Dispose();
            throw;
        }
    }
}
