using System.Text.Json.Nodes;
using SpeechTok.Lm.Model;
using SpeechTok.Tensors;
using SpeechTok.Tensors.IO;

namespace SpeechTok.Training;

/// <summary>
/// PEFT's on-disk LoRA format for a SEQ_CLS model: adapter_config.json + adapter_model.safetensors with the
/// keys PEFT's get_peft_model_state_dict writes (adapter name removed, modules_to_save folded), e.g.
/// <c>base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight</c> and <c>base_model.model.score.weight</c>.
/// </summary>
public static class Peft
{
    public const string ConfigFile = "adapter_config.json", WeightsFile = "adapter_model.safetensors";
    public const string ScoreKey = "base_model.model.score.weight";

    /// <summary>The PEFT key of a LoRA factor: q/k/v/o_proj live under <c>self_attn</c>, gate/up/down_proj under <c>mlp</c>.</summary>
    public static string LoraKey(int layer, string proj, char factor) =>
        $"base_model.model.model.layers.{layer}.{(proj is "gate_proj" or "up_proj" or "down_proj" ? "mlp" : "self_attn")}.{proj}.lora_{factor}.weight";

    /// <summary>The adapted projections in PEFT's key order (per layer, the targets in layer order: q_proj, v_proj by default).</summary>
    public static IEnumerable<(int Layer, string Proj, LoraLinear Module)> Modules(LoraAdapters lora)
    {
        int layers = lora[lora.TargetModules[0]]!.Count;
        for (int l = 0; l < layers; l++)
            foreach (var proj in lora.TargetModules)
                yield return (l, proj, lora[proj]![l]);
    }

    /// <summary>Every trainable tensor with its PEFT key and its gradient buffer, in one fixed order.</summary>
    public static IEnumerable<(string Name, Tensor Tensor, float[] Grad)> Trainables(LoraAdapters lora, float[] score, float[] scoreGrad, int numLabels)
    {
        foreach (var (l, proj, m) in Modules(lora))
        {
            yield return (LoraKey(l, proj, 'A'), Checkpoint.Alias(m.A, m.Rank, m.In), m.GradA);
            yield return (LoraKey(l, proj, 'B'), Checkpoint.Alias(m.B, m.Out, m.Rank), m.GradB);
        }
        yield return (ScoreKey, Checkpoint.Alias(score, numLabels, score.Length / numLabels), scoreGrad);
    }

    public static IEnumerable<(string Name, Tensor Tensor)> Tensors(LoraAdapters lora, float[] score, int numLabels) =>
        Trainables(lora, score, score, numLabels).Select(t => (t.Name, t.Tensor));

    public static void Save(string dir, LoraAdapters lora, float[] score, int numLabels, string baseModel)
    {
        Directory.CreateDirectory(dir);
        SafeTensors.Save(Path.Combine(dir, WeightsFile), Tensors(lora, score, numLabels), new Dictionary<string, string> { ["format"] = "pt" });
        RunFiles.WriteJson(Path.Combine(dir, ConfigFile), new JsonObject
        {
            ["peft_type"] = "LORA", ["task_type"] = "SEQ_CLS", ["base_model_name_or_path"] = baseModel,
            ["r"] = lora.Rank, ["lora_alpha"] = lora.Alpha, ["lora_dropout"] = lora.Dropout,
            ["target_modules"] = new JsonArray(lora.TargetModules.Select(t => (JsonNode)t!).ToArray()), ["bias"] = "none",
            ["modules_to_save"] = new JsonArray("classifier", "score"), ["fan_in_fan_out"] = false,
            ["inference_mode"] = true, ["init_lora_weights"] = true, ["use_rslora"] = lora.UseRslora, ["use_dora"] = false,
        });
    }

    /// <summary>
    /// SHA-256 (hex) of the seed's trained model as stored: of the hashes of adapter_config.json and adapter_model.safetensors
    /// (a fully fine-tuned seed, without adapter_config.json: <see cref="FullModel"/>'s config.json and model.safetensors), then,
    /// in an audio-vector run, of audio_projection.safetensors (a token run's value is the same as before that file existed).
    /// </summary>
    public static string Fingerprint(string dir)
    {
        var files = FingerprintFiles(dir);
        var all = new byte[32 * files.Count];
        for (int i = 0; i < files.Count; i++)
        {
            string path = Path.Combine(dir, files[i]);
            if (!File.Exists(path)) throw new SpeechTokException($"adapter file '{path}' not found");
            using var f = File.OpenRead(path);
            System.Security.Cryptography.SHA256.HashData(f).CopyTo(all, 32 * i);
        }
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(all));
    }

    /// <summary>The names of the files <see cref="Fingerprint"/> covers in seed folder <paramref name="dir"/>, in its order.</summary>
    public static IReadOnlyList<string> FingerprintFiles(string dir)
    {
        var files = File.Exists(Path.Combine(dir, ConfigFile)) || !File.Exists(Path.Combine(dir, FullModel.ConfigFile))
            ? new List<string> { ConfigFile, WeightsFile } : [FullModel.ConfigFile, FullModel.WeightsFile];
        if (File.Exists(Path.Combine(dir, AudioProjection.FileName))) files.Add(AudioProjection.FileName);
        return files;
    }

    /// <summary>Loads the factors and head of <paramref name="dir"/> into <paramref name="lora"/> and <paramref name="score"/>, checking every name and shape.</summary>
    public static void Load(string dir, LoraAdapters lora, float[] score, int numLabels)
    {
        string path = Path.Combine(dir, WeightsFile);
        if (!File.Exists(path)) throw new SpeechTokException($"adapter '{path}' not found");
        using var st = SafeTensors.Open(path);
        foreach (var (name, dst) in Tensors(lora, score, numLabels))
        {
            if (!st.Contains(name)) throw new SpeechTokException($"{path}: tensor '{name}' is missing");
            using var t = st.Get(name);
            t.ExpectShape($"{path}: {name}", dst.Shape);
            t.CopyTo(0, dst.Span);
        }
    }
}
