using System.Text.Json.Nodes;
using SpeechTok.Evaluation;
using SpeechTok.IO;
using SpeechTok.Lm.Model;
using SpeechTok.Tensors;
using SpeechTok.Tensors.IO;
using SpeechTok.Training;

namespace SpeechTok.Tests.Training;

/// <summary>Issue #13: predict and evaluate read adapter_config.json as written, or refuse what they do not implement by name.</summary>
public sealed class AdapterConfigTests
{
    private static readonly FinetuneOptions OneEpoch = new() { Lr = 1e-2, Epochs = 1, BatchSize = 8, LoraRank = 4, LoraAlpha = 8, Patience = 10, Seeds = [3] };

    private static JsonObject Written() => new()
    {
        ["peft_type"] = "LORA", ["task_type"] = "SEQ_CLS", ["r"] = 4, ["lora_alpha"] = 8, ["lora_dropout"] = 0.1,
        ["target_modules"] = new JsonArray("q_proj", "v_proj"), ["bias"] = "none", ["modules_to_save"] = new JsonArray("classifier", "score"),
        ["fan_in_fan_out"] = false, ["use_rslora"] = false, ["use_dora"] = false, ["layers_to_transform"] = null, ["layers_pattern"] = null,
        ["rank_pattern"] = new JsonObject(), ["alpha_pattern"] = new JsonObject(), ["init_lora_weights"] = "gaussian", ["inference_mode"] = true,
        ["base_model_name_or_path"] = "somewhere", ["megatron_core"] = "megatron.core", ["loftq_config"] = new JsonObject(), ["lora_bias"] = false,
    };

    private static readonly LlamaConfig Config = LlamaConfig.Parse(
        """{"architectures": ["LlamaForCausalLM"], "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2, "num_key_value_heads": 1, "intermediate_size": 64, "vocab_size": 100}""", "config.json");

    private static AdapterConfig Read(JsonObject o)
    {
        var path = Path.Combine(Path.GetTempPath(), $"speechtok-adapter-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, o.ToJsonString());
        try { return AdapterConfig.Read(path, Config); }
        finally { File.Delete(path); }
    }

    private static string Refused(JsonObject o) => Assert.Throws<SpeechTokException>(() => Read(o)).Message;

    [Fact]
    public void HonouredFieldsSetRankAndScale()
    {
        var read = Read(Written());
        Assert.Equal((4, 8f, 0.1f, false), (read.Rank, read.Alpha, read.Dropout, read.UseRslora));
        Assert.Equal(["q_proj", "v_proj"], read.TargetModules);
        Assert.Equal(2f, Read(Written()).Scale);
        var rs = Written();
        rs["use_rslora"] = true;
        Assert.Equal(4f, Read(rs).Scale); // PEFT: lora_alpha / sqrt(r)
        var other = Written();
        other["r"] = 16;
        other["lora_alpha"] = 4;
        other["target_modules"] = @"model\.layers\.\d+\.self_attn\.(q|v)_proj"; // PEFT's regex form, full match
        Assert.Equal(0.25f, Read(other).Scale);
        other["target_modules"] = new JsonArray("self_attn.v_proj", "q_proj"); // suffix form, any order
        Assert.Equal(16, Read(other).Rank);
    }

    [Theory]
    [InlineData("[\"q_proj\",\"k_proj\",\"v_proj\"]", "q_proj,k_proj,v_proj")]
    [InlineData("[\"mlp.down_proj\",\"q_proj\"]", "q_proj,down_proj")] // suffix form, any order: layer order out
    [InlineData("\"all-linear\"", "q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj")]
    [InlineData("\".*_proj\"", "q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj")] // regex, full match
    [InlineData("\"model\\\\.layers\\\\.\\\\d+\\\\.mlp\\\\..*\"", "gate_proj,up_proj,down_proj")]
    public void TargetModulesSelectTheSameProjectionsInEveryLayer(string json, string expected)
    {
        var o = Written();
        o["target_modules"] = JsonNode.Parse(json);
        Assert.Equal(expected.Split(','), Read(o).TargetModules);
    }

    [Theory]
    [InlineData("use_dora", "true", "'use_dora' is true; this PEFT option is not implemented")]
    [InlineData("bias", "\"lora_only\"", "'bias' is \"lora_only\"")]
    [InlineData("fan_in_fan_out", "true", "'fan_in_fan_out' is true")]
    [InlineData("layers_to_transform", "[0]", "'layers_to_transform' is [0]")]
    [InlineData("rank_pattern", "{\"q_proj\":8}", "'rank_pattern'")]
    [InlineData("alpha_pattern", "{\"v_proj\":2}", "'alpha_pattern'")]
    [InlineData("target_modules", "\"model\\\\.layers\\\\.0\\\\.self_attn\\\\.q_proj\"", "selects nothing in layer 1 but q_proj in layer 0; only the same projections in every layer")]
    [InlineData("target_modules", "[\"q_proj\",\"score\"]", "selects the score head")]
    [InlineData("target_modules", "[\"lm_head\"]", "selects no projection of a decoder layer")]
    [InlineData("target_modules", "\"(\"", "regex '(' is invalid")]
    [InlineData("modules_to_save", "[\"score\",\"embed_tokens\"]", "'modules_to_save' lists embed_tokens")]
    [InlineData("peft_type", "\"IA3\"", "'peft_type' is \"IA3\"")]
    [InlineData("task_type", "\"CAUSAL_LM\"", "'task_type' is \"CAUSAL_LM\"")]
    [InlineData("r", "0", "'r' is 0")]
    [InlineData("r", "\"4\"", "'r' is \"4\", not an integer")]
    [InlineData("lora_alpha", "null", "'lora_alpha' is missing")]
    [InlineData("use_rslora", "\"yes\"", "'use_rslora' is \"yes\", not true or false")]
    [InlineData("trainable_token_indices", "[5]", "'trainable_token_indices' is [5]")]
    public void UnimplementedFieldsAreRefusedByName(string field, string json, string expected)
    {
        var o = Written();
        o[field] = JsonNode.Parse(json);
        var message = Refused(o);
        Assert.Contains("adapter-", message); // names the file
        Assert.Contains(expected, message);
    }

    private static (ToyData Data, string Run) Trained()
    {
        var d = new ToyData();
        string run = Path.Combine(d.Dir, "run");
        FinetuneRun.Run(new FinetuneSpec
        {
            Manifest = d.Parsed(), Codes = d.Codes, Selection = d.Selection, Model = d.Model(), Out = run, Options = OneEpoch,
        });
        return (d, run);
    }

    private static void Edit(string run, Action<JsonObject> edit)
    {
        var path = Path.Combine(FinetuneRun.SeedDir(run, 3), Peft.ConfigFile);
        var o = ArtifactJson.ReadObject(path);
        edit(o);
        RunFiles.WriteJson(path, o);
    }

    /// <summary>Multiplies every lora_B tensor of the seed's adapter by <paramref name="factor"/>.</summary>
    private static void ScaleB(string run, float factor) =>
        SafeTensorsEdit.Rewrite(Path.Combine(FinetuneRun.SeedDir(run, 3), Peft.WeightsFile), (name, w, _) =>
        {
            if (name.Contains(".lora_B.")) foreach (ref var v in w) v *= factor;
        });

    private static void Close(float[] expected, float[] actual)
    {
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5, $"p[{i}] {actual[i]} vs {expected[i]}");
    }

    [Fact]
    public void PredictHonoursAlphaRankRsloraAndTargets()
    {
        var (d, run) = Trained();
        using var _ = d;
        const string text = "the cat sat beta";
        int[][] codes = [[5, 5, 1], [0, 2, 4]];
        var p0 = RunEvaluation.Predict(run, text, codes);

        // α ×4 alone changes the output (it was ignored before) ...
        Edit(run, o => o["lora_alpha"] = 32);
        var p1 = RunEvaluation.Predict(run, text, codes);
        Assert.True(Math.Abs(p1[0] - p0[0]) > 1e-4, $"lora_alpha ignored: {p1[0]} vs {p0[0]}");
        // ... and α ×4 with B ÷4 is the same adapter: scale·B·A is unchanged.
        ScaleB(run, 0.25f);
        Close(p0, RunEvaluation.Predict(run, text, codes));
        // rsLoRA: scale α/√r = 16/√4 = 8, the same as 32/4 without it
        Edit(run, o => { o["use_rslora"] = true; o["lora_alpha"] = 16; });
        Close(p0, RunEvaluation.Predict(run, text, codes));
        // r must match the stored factors; the weights file is named
        Edit(run, o => o["r"] = 8);
        Assert.Contains("lora_A.weight", Assert.Throws<ShapeMismatchException>(() => RunEvaluation.Predict(run, text, codes)).Message);
        // target_modules is honoured: an o_proj adapter is looked for, and it is not in the weights file
        Edit(run, o => { o["r"] = 4; o["target_modules"] = new JsonArray("q_proj", "v_proj", "o_proj"); });
        Assert.Contains("self_attn.o_proj.lora_A.weight' is missing", Assert.Throws<SpeechTokException>(() => RunEvaluation.Predict(run, text, codes)).Message);
    }

    /// <summary>A walkthrough flipped one byte of a finished run's adapter: evaluate printed other scores, exit 0, and said nothing.</summary>
    [Fact]
    public void Evaluate_on_the_command_line_says_which_seed_it_predicts_again()
    {
        var (d, run) = Trained();
        using var _ = d;
        string weights = Path.Combine(FinetuneRun.SeedDir(run, 3), Peft.WeightsFile);
        var bytes = File.ReadAllBytes(weights);
        bytes[^1] ^= 1; // the last float's lowest exponent bit: another adapter
        File.WriteAllBytes(weights, bytes);
        var (code, stdout, err) = CliRunner.Run("evaluate", "--run", run, "--threads", "1");
        Assert.Equal(0, code);
        Assert.Contains("(test): macro-F1", stdout);
        Assert.Contains($"seed 3: adapter_config.json or adapter_model.safetensors changed since its predictions were written ({Path.Combine(FinetuneRun.SeedDir(run, 3), SeedDone.FileName)} "
            + "adapter_sha256); predicting split 'test' again with the files as they are", err);
    }

    [Fact]
    public void EvaluateRecomputesWhenTheAdapterChangedAndRefusesWhatItCannotDo()
    {
        var (d, run) = Trained();
        using var _ = d;
        var unchanged = new List<string>();
        var before = RunEvaluation.Evaluate(run, "test", unchanged.Add);
        Assert.Empty(unchanged); // scored from the stored predictions: nothing to say
        var stored = PredictionsFile.Load(Path.Combine(FinetuneRun.SeedDir(run, 3), PredictionsFile.FileName("test"))).Probabilities;
        Assert.False(FinetuneRun.AdapterChanged(FinetuneRun.SeedDir(run, 3)));

        // the same adapter written another way: recomputed from the files, the same predictions and metrics
        Edit(run, o => { o["lora_alpha"] = 32; o["use_rslora"] = false; });
        ScaleB(run, 0.25f);
        Assert.True(FinetuneRun.AdapterChanged(FinetuneRun.SeedDir(run, 3)));
        using (var rm = RunModel.Load(run))
        {
            var again = rm.Predict(3, rm.Encode("test"));
            for (int i = 0; i < stored.Length; i++) Close(stored[i], again[i]);
        }
        var warnings = new List<string>();
        Assert.Equal(before.MacroF1, RunEvaluation.Evaluate(run, "test", warnings.Add).MacroF1);
        // the user is told which seed is predicted again, and why (its scores may differ from fine-tuning's);
        // predicting again reads the code store; the toy clips were never written, so it says the codes were matched by name
        Assert.Equal(2, warnings.Count);
        Assert.Equal($"seed 3: adapter_config.json or adapter_model.safetensors changed since its predictions were written "
            + $"({Path.Combine(FinetuneRun.SeedDir(run, 3), SeedDone.FileName)} adapter_sha256); predicting split 'test' again with the files as they are", warnings[0]);
        Assert.StartsWith("warning: the clips of", warnings[1]);

        // a different adapter: evaluate reports its metrics, not the stored predictions'
        ScaleB(run, 0f); // B = 0: the LoRA update vanishes, only the head and the rows remain
        using (var rm = RunModel.Load(run))
        {
            var set = rm.Encode("test");
            var probs = rm.Predict(3, set);
            var expected = ClassificationMetrics.Compute(rm.Meta.TaskKind, rm.Meta.NumLabels, set.Labels, probs).MacroF1;
            Assert.Equal(expected, RunEvaluation.Evaluate(run, "test").MacroF1);
            Assert.True(probs.Zip(stored).Any(x => Math.Abs(x.First[0] - x.Second[0]) > 1e-4), "B = 0 changed nothing");
        }

        Edit(run, o => o["use_dora"] = true);
        Assert.Contains("'use_dora' is true", Assert.Throws<SpeechTokException>(() => RunEvaluation.Evaluate(run, "test")).Message);

        // a seed without done.json did not finish: said so, with what completes it (was "seed completion file … does not exist")
        string done = Path.Combine(FinetuneRun.SeedDir(run, 3), SeedDone.FileName);
        File.Delete(done);
        Assert.Equal($"'{done}' does not exist: seed-3 did not finish (done.json is written last); rerun the same finetune command to complete it",
            Assert.Throws<SpeechTokException>(() => RunEvaluation.Evaluate(run, "test")).Message);
    }
}
