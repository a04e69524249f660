using System.Text.Json.Nodes;
using SpeechTok.Lm.Model;
using SpeechTok.Tensors.IO;
using SpeechTok.Tests.Conformance;
using SpeechTok.Tests.Lm;

namespace SpeechTok.Tests.Training;

/// <summary>
/// A small random-weight model folder with a published config's exact layout (tests/data/hf-configs): the same
/// architecture, vocabulary size, ties, biases, RoPE and window settings, but 2 layers and a tiny hidden size
/// (16, 4 heads of 4, GQA kept) so that a real 32k–152k-row vocabulary costs little; plus a real tokenizer.
/// </summary>
internal static class FamilyCheckpoint
{
    public static string ConfigPath(string family) => Path.Combine(FixtureRoot.RepoRoot, "tests", "data", "hf-configs", family + ".json");

    public static JsonObject PublishedConfig(string family) => JsonNode.Parse(File.ReadAllText(ConfigPath(family)))!.AsObject();

    /// <summary>Writes config.json, model.safetensors (F32, seeded) and the tokenizer files of
    /// <paramref name="tokenizerJson"/> (its folder's tokenizer_config.json too, when there is one) into <paramref name="dir"/>.</summary>
    public static string Write(string dir, string family, string tokenizerJson, int seed = 5, Action<JsonObject>? edit = null)
    {
        Directory.CreateDirectory(dir);
        var config = PublishedConfig(family);
        bool mha = config["num_key_value_heads"]!.GetValue<int>() == config["num_attention_heads"]!.GetValue<int>();
        config["hidden_size"] = 16;
        config["intermediate_size"] = 24;
        config["num_hidden_layers"] = 2;
        config["num_attention_heads"] = 4;
        config["num_key_value_heads"] = mha ? 4 : 2;
        if (config.ContainsKey("head_dim")) config["head_dim"] = 4;
        if (config.ContainsKey("max_window_layers")) config["max_window_layers"] = 2;
        edit?.Invoke(config);
        File.WriteAllText(Path.Combine(dir, "config.json"), config.ToJsonString());
        var c = LlamaConfig.Load(dir);
        var weights = ModelTestData.Weights(c, seed, scale: 0.1f);
        SafeTensors.Save(Path.Combine(dir, "model.safetensors"), weights.Select(kv => (kv.Key, kv.Value)));
        File.Copy(tokenizerJson, Path.Combine(dir, "tokenizer.json"), overwrite: true);
        string tokConfig = Path.Combine(Path.GetDirectoryName(tokenizerJson)!, "tokenizer_config.json");
        if (File.Exists(tokConfig)) File.Copy(tokConfig, Path.Combine(dir, "tokenizer_config.json"), overwrite: true);
        return dir;
    }
}
