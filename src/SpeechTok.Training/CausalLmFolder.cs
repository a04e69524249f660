using SpeechTok.Lm.Model;
using SpeechTok.Lm.Tokenization;
using SpeechTok.IO;

namespace SpeechTok.Training;

/// <summary>
/// A Hugging Face causal-LM folder opened for inference (<c>speechtok lm eval</c>, <c>lm generate</c>) or as the
/// start of continued pre-training (<c>lm train --init-from</c>):
/// config.json, memory-mapped safetensors weights and tokenizer.json. BOS is <see cref="HfTokenizer.BosId"/>: the one
/// HF's <c>tokenizer(text)</c> adds for Llama-2/3, Mistral and TinyLlama files, none for Qwen2.5 (whatever config.json's
/// <c>bos_token_id</c> says); for a GPT-2/SmolLM2 file, whose HF tokenizer adds none, its tokenizer_config.json
/// <c>bos_token</c> (docs/tokenizer.md), so <c>lm eval</c> there conditions the first token on it where HF starts bare. EOS is
/// config.json's first <c>eos_token_id</c>, if any.
/// </summary>
public sealed class CausalLmFolder : IDisposable
{
    private readonly LlamaCheckpoint _checkpoint;
    public string Folder { get; }
    public LlamaConfig Config => _checkpoint.Config;
    /// <summary>The memory-mapped weights (read-only views; <see cref="LlamaWeights.ToWritableF32"/> for training).</summary>
    public LlamaWeights Weights => _checkpoint.Weights;
    public HfTokenizer Tokenizer { get; }
    public LlamaForCausalLm Model { get; }
    /// <summary>The BOS id the tokenizer prepends to a text, or null when it adds none (Qwen2.5).</summary>
    public int? BosId => Tokenizer.BosId;
    public int? EosId { get; }

    /// <summary>The ids that end <c>lm generate</c>: <c>eos_token_id</c> of generation_config.json when that file names one
    /// (transformers' <c>generate</c> uses the model's GenerationConfig, read from that file; the first Llama-3-Instruct
    /// release listed <c>&lt;|eot_id|&gt;</c> there only), else config.json's.</summary>
    public int[] StopTokenIds => Generation.EosTokenIds ?? Config.EosTokenIds;

    /// <summary>generation_config.json: the stop ids and the defaults of <c>lm generate</c>'s sampling settings.</summary>
    public GenerationConfig Generation { get; }

    private CausalLmFolder(string folder, LlamaCheckpoint checkpoint, HfTokenizer tokenizer, int? eos, GenerationConfig generation)
    {
        Folder = folder; _checkpoint = checkpoint; Tokenizer = tokenizer; EosId = eos; Generation = generation;
        Model = new LlamaForCausalLm(checkpoint.Weights);
    }

    public static CausalLmFolder Open(string folder)
    {
        folder = InputPaths.RequireFolder(folder, "model folder");
        string need = $"lm generate, lm eval and lm train --init-from need a language model folder, {BaseModelHint(folder)}";
        RequireNotAdapter(folder, need);
        var checkpoint = LlamaCheckpoint.Open(folder, need);
        try
        {
            var tok = HfTokenizer.Load(folder);
            LanguageModel.RequireTokenizerFits(folder, tok, checkpoint.Config, checkpoint.Weights.VocabSize);
            int? eos = checkpoint.Config.EosTokenIds.Length > 0 ? checkpoint.Config.EosTokenIds[0] : null;
            int rows = checkpoint.Weights.VocabSize;
            foreach (var (what, id) in new[] { ("BOS", tok.BosId), ("EOS", eos) })
                if (id is int i && (i < 0 || i >= rows)) throw new SpeechTokException($"{folder}: {what} id {i} is outside the embedding table's {rows} rows");
            return new CausalLmFolder(folder, checkpoint, tok, eos, GenerationConfig.Read(folder));
        }
        catch
        {
            checkpoint.Dispose();
            throw;
        }
    }

    /// <summary>
    /// What to give instead of a fine-tuned seed folder, for messages: "such as the base model", and inside a run folder
    /// (a seed-S/ whose parent holds run.json) the model that run.json names.
    /// </summary>
    internal static string BaseModelHint(string folder)
    {
        string? parent = Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(folder));
        string runJson = Path.Combine(parent ?? folder, RunFile.FileName);
        try
        {
            if (parent != null && File.Exists(runJson)) return $"such as the base model ({runJson} names it: {RunFile.Load(runJson).Model})";
        }
        catch (SpeechTokException) { } // a damaged run.json only loses the hint
        return "such as the base model";
    }

    /// <summary>A LoRA seed folder (adapter_config.json, no config.json) given as a model: said so, instead of "model config not found".</summary>
    internal static void RequireNotAdapter(string folder, string need)
    {
        if (File.Exists(Path.Combine(folder, Peft.ConfigFile)) && !File.Exists(Path.Combine(folder, "config.json")))
            throw new SpeechTokException($"{folder} is a LoRA adapter ({Peft.ConfigFile}, PEFT), not a causal LM: {need}");
    }

    /// <summary>Refuses windows of <paramref name="tokens"/> tokens past the model's <c>max_position_embeddings</c> or
    /// <c>sliding_window</c> (<see cref="LlamaConfig.CheckSequenceLength"/>); <paramref name="option"/> names what sets them.</summary>
    public void CheckSequenceLength(int tokens, string option) => Config.CheckSequenceLength(tokens, Path.Combine(Folder, "config.json"), option);

    /// <summary>Documents packed for this model (<see cref="PackedText"/>); a token id past the embedding table is an error.</summary>
    public PackedText Pack(IReadOnlyList<string> docs)
    {
        var packed = PackedText.Encode(Tokenizer, docs, BosId, EosId);
        int rows = Model.VocabSize;
        foreach (int id in packed.Ids)
            if (id >= rows) throw new SpeechTokException($"{Folder}: the tokenizer gives id {id}, past the embedding table's {rows} rows");
        return packed;
    }

    public void Dispose()
    {
        Model.Dispose();
        _checkpoint.Dispose();
    }
}
