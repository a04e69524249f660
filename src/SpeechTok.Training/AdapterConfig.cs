using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SpeechTok.IO;
using SpeechTok.Lm.Model;

namespace SpeechTok.Training;

/// <summary>
/// A PEFT <c>adapter_config.json</c> read as written: <c>r</c>, <c>lora_alpha</c>, <c>lora_dropout</c> and
/// <c>use_rslora</c> (scale α/√r instead of α/r) are honoured; <c>target_modules</c> (a list, matched as PEFT
/// does by module-name suffix, PEFT's "all-linear", or a regex string matched against the full module name) may
/// select any projections (q/k/v/o_proj, gate/up/down_proj) as long as it selects the same ones in every layer and
/// not the score head. Every other field that changes
/// what the adapter computes is refused by name unless it has PEFT's "off" value (use_dora false, bias "none",
/// fan_in_fan_out false, no layers_to_transform, no rank_pattern/alpha_pattern, modules_to_save only the score
/// head, …). Fields PEFT uses only for training or bookkeeping are accepted with any value.
/// </summary>
public sealed record AdapterConfig(int Rank, float Alpha, float Dropout, bool UseRslora, IReadOnlyList<string> TargetModules)
{
    /// <summary>Fields with no effect on an adapter's outputs at inference.</summary>
    private static readonly HashSet<string> Inert =
    [
        "peft_type", "task_type", "base_model_name_or_path", "revision", "inference_mode", "init_lora_weights", "auto_mapping",
        "megatron_core", "qalora_group_size", "peft_version", "runtime_config",
    ];

    /// <summary>Fields read and validated here.</summary>
    private static readonly HashSet<string> Honoured = ["r", "lora_alpha", "lora_dropout", "use_rslora", "target_modules", "modules_to_save", "bias"];

    /// <summary>The head's names PEFT puts in modules_to_save for a SEQ_CLS task.</summary>
    private static readonly string[] HeadModules = ["classifier", "score"];

    /// <summary>The projections of one decoder layer, as module names under <c>model.layers.N.</c>.</summary>
    private static readonly string[] LayerModules =
        ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj", "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"];

    /// <summary>The LoRA output scale: α/r, or α/√r with rsLoRA.</summary>
    public float Scale => UseRslora ? Alpha / MathF.Sqrt(Rank) : Alpha / Rank;

    /// <summary>Adapters of this rank and scale for <paramref name="c"/>, factors initialised from <paramref name="seed"/>.</summary>
    public LoraAdapters Create(LlamaConfig c, ulong seed) => new(c, Rank, Alpha, Dropout, seed, UseRslora, TargetModules);

    /// <summary>Reads and checks <paramref name="path"/> for a model with <paramref name="c"/>'s layers.</summary>
    /// <exception cref="SpeechTokException">The file is missing or malformed, or a field asks for something not implemented; the message names the file and field.</exception>
    public static AdapterConfig Read(string path, LlamaConfig c)
    {
        var o = ArtifactJson.ReadObject(path);
        string Fail(string field, string why) => throw new SpeechTokException($"{path}: '{field}' {why}");

        if (o["peft_type"] is JsonNode pt && pt.ToJsonString() != "\"LORA\"")
            Fail("peft_type", $"is {pt.ToJsonString()}; only LORA adapters are implemented");
        if (o["task_type"] is JsonNode tt && tt.ToJsonString() != "\"SEQ_CLS\"")
            Fail("task_type", $"is {tt.ToJsonString()}; a fine-tuning run holds SEQ_CLS adapters");

        int r = Number<int>(o, "r", path);
        float alpha = Number<float>(o, "lora_alpha", path);
        float dropout = o["lora_dropout"] is null ? 0f : Number<float>(o, "lora_dropout", path);
        bool rslora = o["use_rslora"] is JsonNode rs && Flag(rs, "use_rslora", path);
        if (r <= 0) Fail("r", $"is {r}; the rank must be positive");
        if (!float.IsFinite(alpha)) Fail("lora_alpha", "is not a finite number");
        if (!(dropout >= 0 && dropout < 1)) Fail("lora_dropout", $"is {dropout}; expected a value in [0, 1)");
        if (o["bias"] is JsonNode b && b.ToJsonString() != "\"none\"")
            Fail("bias", $"is {b.ToJsonString()}; LoRA bias training is not implemented (only \"none\")");
        var targets = Targets(o["target_modules"], c.NumLayers, path);
        if (o["modules_to_save"] is JsonNode m && Strings(m, "modules_to_save", path) is var saved && saved.Except(HeadModules).ToList() is { Count: > 0 } extra)
            Fail("modules_to_save", $"lists {string.Join(", ", extra)}; only the classification head ({string.Join("/", HeadModules)}) is implemented");

        foreach (var (key, value) in o)
        {
            if (Inert.Contains(key) || Honoured.Contains(key)) continue;
            if (!IsOff(value))
                Fail(key, $"is {value!.ToJsonString()}; this PEFT option is not implemented (only its default, off, is accepted)");
        }
        return new AdapterConfig(r, alpha, dropout, rslora, targets);
    }

    /// <summary>
    /// PEFT's target_modules: a list (a module matches when its name is an entry or ends with "." + entry), "all-linear"
    /// (every projection of every layer, not the head) or a regex (full match). Returns the selected projections.
    /// </summary>
    private static string[] Targets(JsonNode? node, int layers, string path)
    {
        if (node is null) throw new SpeechTokException($"{path}: 'target_modules' is missing; expected a list such as [\"q_proj\", \"v_proj\"]");
        Func<string, bool> matches;
        if (node.GetValueKind() == System.Text.Json.JsonValueKind.String && node.GetValue<string>() == "all-linear")
            return LoraAdapters.LayerProjections;
        if (node.GetValueKind() == System.Text.Json.JsonValueKind.String)
        {
            var pattern = node.GetValue<string>();
            Regex re;
            try { re = new Regex($"^(?:{pattern})$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)); }
            catch (ArgumentException e) { throw new SpeechTokException($"{path}: 'target_modules' regex '{pattern}' is invalid ({e.Message})"); }
            matches = name =>
            {
                try { return re.IsMatch(name); }
                catch (RegexMatchTimeoutException) { throw new SpeechTokException($"{path}: 'target_modules' regex '{pattern}' takes too long to match"); }
            };
        }
        else
        {
            var entries = Strings(node, "target_modules", path);
            matches = name => entries.Any(t => name == t || name.EndsWith("." + t, StringComparison.Ordinal));
        }
        var selected = LayerModules.Where(m => matches($"model.layers.0.{m}")).ToArray();
        if (matches("score")) throw new SpeechTokException($"{path}: 'target_modules' {node.ToJsonString()} selects the score head; LoRA on the head is not implemented");
        if (selected.Length == 0) throw new SpeechTokException($"{path}: 'target_modules' {node.ToJsonString()} selects no projection of a decoder layer");
        for (int l = 1; l < layers; l++)
            if (LayerModules.Where(m => matches($"model.layers.{l}.{m}")).ToArray() is var other && !other.SequenceEqual(selected))
                throw new SpeechTokException($"{path}: 'target_modules' {node.ToJsonString()} selects {Names(other)} in layer {l} but {Names(selected)} in layer 0; " +
                    "only the same projections in every layer are implemented");
        return selected.Select(m => m.Split('.')[1]).ToArray();
    }

    private static string Names(string[] modules) => modules.Length == 0 ? "nothing" : string.Join(", ", modules.Select(m => m.Split('.')[1]));

    private static T Number<T>(JsonObject o, string field, string path) where T : struct
    {
        var n = o[field] ?? throw new SpeechTokException($"{path}: '{field}' is missing");
        try
        {
            if (n.GetValueKind() != System.Text.Json.JsonValueKind.Number) throw new FormatException();
            return typeof(T) == typeof(int) ? (T)(object)n.GetValue<int>() : (T)(object)(float)n.GetValue<double>();
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or OverflowException)
        {
            throw new SpeechTokException($"{path}: '{field}' is {n.ToJsonString()}, not {(typeof(T) == typeof(int) ? "an integer" : "a number")}");
        }
    }

    private static bool Flag(JsonNode n, string field, string path) => n.GetValueKind() switch
    {
        System.Text.Json.JsonValueKind.True => true,
        System.Text.Json.JsonValueKind.False => false,
        _ => throw new SpeechTokException($"{path}: '{field}' is {n.ToJsonString()}, not true or false"),
    };

    private static List<string> Strings(JsonNode n, string field, string path)
    {
        if (n is JsonArray a && a.All(x => x?.GetValueKind() == System.Text.Json.JsonValueKind.String))
            return a.Select(x => x!.GetValue<string>()).ToList();
        throw new SpeechTokException($"{path}: '{field}' is {n.ToJsonString()}; expected a list of module names");
    }

    /// <summary>PEFT's defaults for the options that are off: null, false, "", [] or {}.</summary>
    private static bool IsOff(JsonNode? v) => v switch
    {
        null => true,
        JsonArray a => a.Count == 0,
        JsonObject o => o.Count == 0,
        _ => v.GetValueKind() switch
        {
            System.Text.Json.JsonValueKind.False => true,
            System.Text.Json.JsonValueKind.String => v.GetValue<string>().Length == 0,
            _ => false,
        },
    };
}
