using SpeechTok.Lm.Model;
using SpeechTok.Tensors.IO;
using SpeechTok.Training;

namespace SpeechTok.Tests.Training;

/// <summary><c>--finetuning-type full</c> on the toy task: every weight trains, the seed folder is an HF classifier, a killed run resumes.</summary>
public sealed class FullFinetuneTests
{
    private static FinetuneOptions Full(params int[] seeds) => new()
    {
        FinetuningType = FinetuneOptions.Full, Lr = 1e-3, WeightDecay = 0.01, Epochs = 2, BatchSize = 8, Patience = 10, Seeds = seeds,
    };

    private sealed class KilledException : Exception;

    /// <summary>
    /// A walkthrough gave a fully fine-tuned seed folder to <c>lm generate</c>: "1 tensor(s) that config.json does not use,
    /// e.g. 'score.weight'". A classifier (or a LoRA seed folder) where a causal LM is loaded is now said to be one, with
    /// the base model the run names.
    /// </summary>
    [Fact]
    public void A_seed_folder_given_as_a_language_model_is_named_a_fine_tuned_classifier()
    {
        using var d = new ToyData(perSplit: 8);
        string model = d.Model(), run = Path.Combine(d.Dir, "run"), lora = Path.Combine(d.Dir, "lora");
        FinetuneRun.Run(new FinetuneSpec { Manifest = d.Parsed(), TextOnly = true, Model = model, Out = run, Options = Full(7) with { Epochs = 1 } });
        FinetuneRun.Run(new FinetuneSpec { Manifest = d.Parsed(), TextOnly = true, Model = model, Out = lora, Options = TrainingTests.Small(7) with { Epochs = 1 } });
        string dir = FinetuneRun.SeedDir(run, 7), text = Path.Combine(d.Dir, "doc.txt");
        File.WriteAllText(text, "the cat sat alpha");
        string runJson = Path.Combine(run, RunFile.FileName), named = RunFile.Load(runJson).Model;
        string lmNeeds = $"lm generate, lm eval and lm train --init-from need a language model folder, such as the base model ({runJson} names it: {named})";
        foreach (var args in new[] { new[] { "lm", "generate", "--prompt", "the", "--threads", "1", "--model", dir }, ["lm", "eval", "--text", text, "--threads", "1", "--model", dir] })
        {
            var (code, stdout, err) = CliRunner.Run(args);
            Assert.Equal((2, ""), (code, stdout));
            Assert.Equal($"error: {dir} is a fine-tuned classifier (LlamaForSequenceClassification), not a causal LM: {lmNeeds}", err.Trim());
        }
        Assert.Equal($"{dir} is a fine-tuned classifier (LlamaForSequenceClassification), not a causal LM: fine-tuning and pre-training start from a language model folder (--model), "
            + $"such as the base model ({runJson} names it: {named})", Assert.Throws<SpeechTokException>(() => LanguageModel.Load(dir, null)).Message);
        // a LoRA seed folder has no config.json: said to be an adapter, not "model config not found"
        string loraDir = FinetuneRun.SeedDir(lora, 7), loraJson = Path.Combine(lora, RunFile.FileName);
        Assert.Equal($"{loraDir} is a LoRA adapter (adapter_config.json, PEFT), not a causal LM: lm generate, lm eval and lm train --init-from need a language model folder, "
            + $"such as the base model ({loraJson} names it: {named})", Assert.Throws<SpeechTokException>(() => CausalLmFolder.Open(loraDir)).Message);
        // the score head alone tells a classifier, whatever config.json's architectures say
        string config = Path.Combine(dir, FullModel.ConfigFile);
        File.WriteAllText(config, File.ReadAllText(config).Replace("LlamaForSequenceClassification", "LlamaForCausalLM"));
        Assert.StartsWith($"{dir} is a fine-tuned classifier (a score.weight head, though config.json names LlamaForCausalLM), not a causal LM: lm generate",
            Assert.Throws<SpeechTokException>(() => CausalLmFolder.Open(dir)).Message);
        using (CausalLmFolder.Open(model)) { } // the base model still opens
    }

    [Fact]
    public void Full_fine_tuning_changes_every_tensor_saves_an_hf_classifier_and_reloads_to_the_same_predictions()
    {
        using var d = new ToyData();
        string model = d.Model(), run = Path.Combine(d.Dir, "run");
        File.WriteAllLines(SpeechTok.Audio.Manifest.LabelNamesPath(d.Manifest), ["calm", "excited"]); // id2label takes them
        // no weight decay: every change below comes from a gradient
        FinetuneRun.Run(new FinetuneSpec { Manifest = d.Parsed(), TextOnly = true, Model = model, Out = run, Options = Full(7) with { WeightDecay = 0 } });
        string dir = FinetuneRun.SeedDir(run, 7);
        Assert.False(File.Exists(Path.Combine(dir, Peft.ConfigFile)));

        using var lm = LanguageModel.Load(model, null);
        using (var st = SafeTensors.Open(Path.Combine(dir, FullModel.WeightsFile)))
        {
            var names = lm.Weights.Named().Select(e => e.Name).Append(FullModel.ScoreKey).ToList();
            Assert.Equal(names.Order(StringComparer.Ordinal), st.Names.Order(StringComparer.Ordinal));
            foreach (var (name, before) in lm.Weights.Named())
            {
                var after = st.Get(name).ToArray();
                if (name == "model.embed_tokens.weight")
                {
                    // resized as HF's resize_token_embeddings: the checkpoint's rows, then the appended [PAD] row, which stays frozen
                    Assert.Equal(new[] { lm.Tokenizer.VocabSize, lm.Config.HiddenSize }, st.ShapeOf(name));
                    using var rows = SafeTensors.Open(Path.Combine(dir, FinetuneRun.RowsFile));
                    Assert.Equal(rows.Get(FinetuneRun.EmbedRowsTensor).ToArray(), after[(int)before.Length..]);
                    after = after[..(int)before.Length];
                }
                Assert.True(after.Where((v, i) => v != before.ReadOnlySpan[i]).Any(), $"{name} did not change");
            }
            Assert.Equal(new[] { 2, lm.Config.HiddenSize }, st.ShapeOf(FullModel.ScoreKey));
        }
        var cfg = LlamaConfig.Load(dir);
        Assert.Equal("LlamaForSequenceClassification", cfg.Architecture);
        Assert.Equal(lm.PadId, cfg.PadTokenId);
        Assert.Equal(lm.Tokenizer.VocabSize, cfg.VocabSize);
        var json = SpeechTok.IO.ArtifactJson.ReadObject(Path.Combine(dir, FullModel.ConfigFile));
        Assert.Equal("""{"0":"calm","1":"excited"}""", json["id2label"]!.ToJsonString());
        Assert.Equal("""{"calm":0,"excited":1}""", json["label2id"]!.ToJsonString());
        Assert.Equal("float32", json["torch_dtype"]!.GetValue<string>());
        Assert.Equal("full", SpeechTok.IO.ArtifactJson.ReadObject(Path.Combine(run, RunFile.FileName))["hyperparameters"]!["finetuning_type"]!.GetValue<string>());

        // predict/evaluate rebuild the classifier from the seed folder: the stored predictions come back
        var stored = PredictionsFile.Load(Path.Combine(dir, PredictionsFile.FileName("test"))).Probabilities;
        using (var rm = RunModel.Load(run))
        {
            var again = rm.Predict(7, rm.Encode("test"));
            for (int i = 0; i < stored.Length; i++)
                for (int k = 0; k < stored[i].Length; k++) Assert.Equal(stored[i][k], again[i][k], 6);
        }
        Assert.Equal(2, RunEvaluation.Predict(run, "the cat sat alpha", null).Length);
        Assert.False(FinetuneRun.AdapterChanged(dir));
        Assert.Single(RunEvaluation.Evaluate(run, "test").PerSeed);

        // A run.json naming a fine-tuning type this build does not know is one clear error, not a missing adapter.
        string runJson = Path.Combine(run, RunFile.FileName);
        File.WriteAllText(runJson, File.ReadAllText(runJson).Replace("\"finetuning_type\": \"full\"", "\"finetuning_type\": \"freeze\""));
        var e = Assert.Throws<SpeechTokException>(() => RunModel.Load(run));
        Assert.Contains("finetuning_type 'freeze'", e.Message);
    }

    /// <summary>The base model's config.json was parsed with a bare JsonNode.Parse: a missing or invalid one ended in a raw
    /// FileNotFoundException or JsonException. It is read through the checked reader, which names the file.</summary>
    [Fact]
    public void A_base_config_that_is_missing_or_invalid_is_named()
    {
        var dir = Directory.CreateTempSubdirectory("speechtok-fullmodel-").FullName;
        try
        {
            var c = LlamaConfig.Parse(new LlamaShape(16, 1, 2, 1, 32).ConfigJson(40, 0, 1, 16).ToJsonString(), "test config");
            var weights = LlamaWeights.Load(c, LlamaShape.InitialWeights(c, 1, scaledResidual: true).GetValueOrDefault);
            string baseModel = Path.Combine(dir, "base"), config = Path.Combine(baseModel, FullModel.ConfigFile);
            Directory.CreateDirectory(baseModel);
            void Save() => FullModel.Save(Path.Combine(dir, "seed"), weights, new float[2 * 16], 2, TaskKind.Binary, baseModel, padId: 0);
            Assert.Contains(config, Assert.Throws<SpeechTokException>(Save).Message);
            File.WriteAllText(config, "{\"vocab_size\": 40,");
            Assert.Contains($"{config}: invalid JSON", Assert.Throws<SpeechTokException>(Save).Message);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Killed_full_fine_tuning_resumes_to_the_same_model()
    {
        using var d = new ToyData();
        string model = d.Model();
        FinetuneSpec Spec(string o) => new() { Manifest = d.Parsed(), TextOnly = true, Model = model, Out = Path.Combine(d.Dir, o), Options = Full(7) };
        FinetuneRun.Run(Spec("full"));
        // 24 train samples in batches of 8: 3 steps an epoch; die in the second epoch
        Assert.Throws<KilledException>(() => FinetuneRun.Run(Spec("killed"), afterStep: s => { if (s == 4) throw new KilledException(); }));
        FinetuneRun.Run(Spec("killed"));
        string a = FinetuneRun.SeedDir(Path.Combine(d.Dir, "full"), 7), b = FinetuneRun.SeedDir(Path.Combine(d.Dir, "killed"), 7);
        foreach (var f in new[] { FullModel.WeightsFile, PredictionsFile.FileName("test"), SeedCurves.FileName })
            Assert.Equal(File.ReadAllBytes(Path.Combine(a, f)), File.ReadAllBytes(Path.Combine(b, f)));
    }

    [Fact]
    public void Full_fine_tuning_of_audio_tokens_and_unknown_types_are_clear_errors()
    {
        using var d = new ToyData();
        string model = d.Model();
        var e = Assert.Throws<SpeechTokException>(() => FinetuneRun.Run(new FinetuneSpec
        {
            Manifest = d.Parsed(), Codes = d.Codes, Selection = d.Selection, Model = model, Out = Path.Combine(d.Dir, "a"), Options = Full(1),
        }));
        Assert.Contains("--text-only", e.Message);
        e = Assert.Throws<SpeechTokException>(() => FinetuneRun.Run(new FinetuneSpec
        {
            Manifest = d.Parsed(), TextOnly = true, Model = model, Out = Path.Combine(d.Dir, "b"), Options = Full(1) with { FinetuningType = "qlora" },
        }));
        Assert.Contains("'qlora'", e.Message);
        // A bad weight decay is refused before run.json is written, so the corrected command can reuse --out.
        string c = Path.Combine(d.Dir, "c");
        e = Assert.Throws<SpeechTokException>(() => FinetuneRun.Run(new FinetuneSpec
        {
            Manifest = d.Parsed(), TextOnly = true, Model = model, Out = c, Options = Full(1) with { WeightDecay = -0.1 },
        }));
        Assert.Contains("--weight-decay", e.Message);
        Assert.False(File.Exists(Path.Combine(c, RunFile.FileName)));
    }
}
