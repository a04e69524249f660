using SpeechTok.Evaluation;
using SpeechTok.Tensors.IO;
using SpeechTok.Training;

namespace SpeechTok.Tests.Training;

public sealed class TrainingTests
{
    internal static FinetuneOptions Small(params int[] seeds) => new()
    {
        Lr = 1e-2, Epochs = 10, BatchSize = 8, LoraRank = 4, LoraAlpha = 8, Patience = 10, Seeds = seeds,
    };

    [Fact]
    public void Pretrained_lm_folder_is_reused_and_loads_like_a_hf_folder()
    {
        using var d = new ToyData();
        string a = d.Model();
        var written = File.GetLastWriteTimeUtc(Path.Combine(a, "model.safetensors"));
        Assert.Equal(a, d.Model());
        Assert.Equal(written, File.GetLastWriteTimeUtc(Path.Combine(a, "model.safetensors")));
        foreach (var f in new[] { "config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json" })
            Assert.True(File.Exists(Path.Combine(a, f)), f);
        using var lm = LanguageModel.Load(a, null);
        Assert.Equal(lm.Weights.BaseVocabSize, lm.PadId); // [PAD] appended after the checkpoint's rows
        var ids = lm.Tokenizer.EncodeWithBos("the cat sat alpha");
        Assert.Equal(lm.Tokenizer.BosId, ids[0]);
        Assert.True(ids.Length < "the cat sat alpha".Length, "learned merges shorten the text");
    }

    [Fact]
    public void Pretrain_lowers_eval_loss_and_writes_rows()
    {
        using var d = new ToyData();
        var spec = new PretrainSpec
        {
            Manifest = d.Parsed(), Codes = d.Codes, Selection = d.Selection, Model = d.Model(), Out = Path.Combine(d.Dir, "pre"),
            Options = new PretrainOptions { Lr = 3e-2, Epochs = 4, BatchSize = 4, Accumulation = 2, Patience = 10 },
        };
        var r = spec.Run();
        var evals = r.Curves.EvalLoss.Select(e => e.Loss).ToList();
        Assert.True(evals.Count >= 6, $"{evals.Count} evals");
        Assert.True(r.BestEvalLoss < evals[0] - 0.05, $"best {r.BestEvalLoss} vs first {evals[0]}");
        using var st = SafeTensors.Open(Path.Combine(spec.Out, Pretrainer.RowsFile));
        Assert.Equal(new[] { 4 + 4, 32 }, st.ShapeOf("audio_embeddings"));
        var meta = PretrainFile.Load(Path.Combine(spec.Out, PretrainFile.FileName));
        Assert.Equal(8, meta.Tokenizer.TrainableCount);
        Assert.Equal([1, 3, 5, 10], meta.Selection.Features);
        Assert.Equal(r.Curves.EvalLoss, meta.Curves.EvalLoss);
    }

    [Fact]
    public void Finetune_learns_a_separable_task_and_evaluate_writes_results()
    {
        using var d = new ToyData();
        string run = Path.Combine(d.Dir, "run");
        FinetuneRun.Run(new FinetuneSpec { Manifest = d.Parsed(), Model = d.Model(), Out = run, TextOnly = true, Options = Small(1, 2) });
        var entry = RunEvaluation.Evaluate(run, "test");
        Assert.Equal("text-only-llm", entry.System);
        Assert.True(entry.F1Class1 > 0.9, $"f1_class_1 {entry.F1Class1}");
        Assert.Equal(2, entry.PerSeed.Count);
        var results = ExperimentResults.Load(Path.Combine(run, ExperimentResults.FileName));
        Assert.Equal("binary", results.Task);
        var curves = SeedCurves.Load(Path.Combine(FinetuneRun.SeedDir(run, 1), SeedCurves.FileName));
        Assert.Equal(Small().Epochs, curves.Val.Count);
    }

    [Fact]
    public void Multilabel_finetune_uses_bce_and_evaluates()
    {
        using var d = new ToyData(multiLabel: true);
        string run = Path.Combine(d.Dir, "run");
        FinetuneRun.Run(new FinetuneSpec { Manifest = d.Parsed(), Model = d.Model(), Out = run, TextOnly = true, Options = Small(1) });
        var e = RunEvaluation.Evaluate(run, "test");
        Assert.NotNull(e.MacroF1Vote); // per-label majority
        Assert.True(e.MacroF1 > 0.9, $"macro_f1 {e.MacroF1}");
        Assert.Equal(2, e.PerLabelF1!.Length);
        Assert.All(e.PerLabelF1, f => Assert.True(f > 0.9, $"per-label F1 {f}"));
        Assert.NotNull(e.MicroF1);
        var probs = PredictionsFile.Load(Path.Combine(FinetuneRun.SeedDir(run, 1), PredictionsFile.FileName("test"))).Probabilities;
        Assert.Contains(probs, p => Math.Abs(p[0] + p[1] - 1) > 0.1); // independent sigmoids, not a softmax (whose rows sum to 1)
    }

    [Fact]
    public void Killed_finetune_resumes_to_the_same_numbers()
    {
        using var d = new ToyData();
        string model = d.Model();
        var pre = new PretrainSpec
        {
            Manifest = d.Parsed(), Codes = d.Codes, Selection = d.Selection, Model = model, Out = Path.Combine(d.Dir, "pre"),
            Options = new PretrainOptions { Epochs = 1, BatchSize = 8, Accumulation = 1 },
        };
        pre.Run();
        FinetuneSpec Spec(string o, int workers) => new()
        {
            Manifest = d.Parsed(), Codes = d.Codes, Selection = d.Selection, Pretrained = pre.Out, Model = model, Out = Path.Combine(d.Dir, o),
            Options = Small(7, 8) with { Epochs = 3, SeedWorkers = workers },
        };
        FinetuneRun.Run(Spec("full", 1));
        // One seed at a time, 3 steps per epoch: kill the first seed in its second epoch, then the second seed in its third.
        Assert.Throws<KilledException>(() => FinetuneRun.Run(Spec("killed", 1), afterStep: s => { if (s == 5) throw new KilledException(); }));
        Assert.False(File.Exists(Path.Combine(FinetuneRun.SeedDir(Path.Combine(d.Dir, "killed"), 7), "done.json")));
        int calls = 0;
        Assert.Throws<KilledException>(() => FinetuneRun.Run(Spec("killed", 1), afterStep: s => { if (++calls > 4 && s == 8) throw new KilledException(); }));
        FinetuneRun.Run(Spec("killed", 1));
        // Both seeds at once: the first to reach step 5 dies, the other stops at its next step; both resume.
        Assert.Throws<KilledException>(() => FinetuneRun.Run(Spec("killed-together", 2), afterStep: s => { if (s == 5) throw new KilledException(); }));
        Assert.False(File.Exists(Path.Combine(FinetuneRun.SeedDir(Path.Combine(d.Dir, "killed-together"), 7), "done.json")));
        Assert.False(File.Exists(Path.Combine(FinetuneRun.SeedDir(Path.Combine(d.Dir, "killed-together"), 8), "done.json")));
        FinetuneRun.Run(Spec("killed-together", 2));
        foreach (string killed in new[] { "killed", "killed-together" })
        {
            foreach (int seed in new[] { 7, 8 })
                foreach (var f in new[] { "predictions-test.json", "predictions-val.json", "curves.json" })
                    Assert.Equal(File.ReadAllText(Path.Combine(FinetuneRun.SeedDir(Path.Combine(d.Dir, "full"), seed), f)),
                        File.ReadAllText(Path.Combine(FinetuneRun.SeedDir(Path.Combine(d.Dir, killed), seed), f)));
            Assert.Equal(File.ReadAllBytes(Path.Combine(FinetuneRun.SeedDir(Path.Combine(d.Dir, "full"), 8), Peft.WeightsFile)),
                File.ReadAllBytes(Path.Combine(FinetuneRun.SeedDir(Path.Combine(d.Dir, killed), 8), Peft.WeightsFile)));
        }
    }

    [Fact]
    public void Killed_pretrain_resumes_to_the_same_rows()
    {
        using var d = new ToyData();
        string model = d.Model();
        PretrainSpec Spec(string o) => new()
        {
            Manifest = d.Parsed(), Codes = d.Codes, Selection = d.Selection, Model = model, Out = Path.Combine(d.Dir, o),
            Options = new PretrainOptions { Lr = 1e-2, Epochs = 3, BatchSize = 8, Accumulation = 2, Patience = 10 },
        };
        Spec("full").Run();
        // 64 train samples → 8 micro-batches → 4 updates per epoch: die in the second epoch.
        Assert.Throws<KilledException>(() => Spec("killed").Run(afterStep: s => { if (s == 7) throw new KilledException(); }));
        Spec("killed").Run();
        Assert.Equal(File.ReadAllBytes(Path.Combine(d.Dir, "full", Pretrainer.RowsFile)), File.ReadAllBytes(Path.Combine(d.Dir, "killed", Pretrainer.RowsFile)));
        Assert.Equal(File.ReadAllText(Path.Combine(d.Dir, "full", PretrainFile.FileName)).Replace(Path.Combine(d.Dir, "full"), "OUT"),
            File.ReadAllText(Path.Combine(d.Dir, "killed", PretrainFile.FileName)).Replace(Path.Combine(d.Dir, "killed"), "OUT"));
    }

    private sealed class KilledException : Exception;

    [Fact]
    public void Peft_adapter_has_peft_names_and_shapes()
    {
        using var d = new ToyData();
        string run = Path.Combine(d.Dir, "run");
        FinetuneRun.Run(new FinetuneSpec
        {
            Manifest = d.Parsed(), Codes = d.Codes, Selection = d.Selection, Model = d.Model(), Out = run, Options = Small(3) with { Epochs = 1 },
        });
        string dir = FinetuneRun.SeedDir(run, 3);
        using var st = SafeTensors.Open(Path.Combine(dir, Peft.WeightsFile));
        Assert.Equal(new[] { 4, 32 }, st.ShapeOf("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"));
        Assert.Equal(new[] { 32, 4 }, st.ShapeOf("base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight"));
        Assert.Equal(new[] { 4, 32 }, st.ShapeOf("base_model.model.model.layers.0.self_attn.v_proj.lora_A.weight"));
        Assert.Equal(new[] { 16, 4 }, st.ShapeOf("base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight"));
        Assert.Equal(new[] { 2, 32 }, st.ShapeOf("base_model.model.score.weight"));
        Assert.Equal(new[] { 16, 4 }, st.ShapeOf("base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight"));
        Assert.Equal(2 * 4 + 1, st.Names.Count);
        var cfg = SpeechTok.IO.ArtifactJson.ReadObject(Path.Combine(dir, Peft.ConfigFile));
        Assert.Equal("SEQ_CLS", cfg["task_type"]!.GetValue<string>());
        Assert.Equal(4, cfg["r"]!.GetValue<int>());
        Assert.Equal("[\"q_proj\",\"v_proj\"]", cfg["target_modules"]!.ToJsonString());
        // the default targets add nothing to run.json: folders made before the option keep their identity
        Assert.Null(SpeechTok.IO.ArtifactJson.ReadObject(Path.Combine(run, RunFile.FileName))["hyperparameters"]!["lora_target_modules"]);
        var p = RunEvaluation.Predict(run, "the cat sat alpha", [[3, 3, 1], [0, 2, 4]]);
        Assert.Equal(2, p.Length);
        Assert.Equal(1.0, p.Sum(), 5);
    }

    [Fact]
    public void All_linear_adapter_trains_resumes_and_predicts_from_its_files()
    {
        using var d = new ToyData();
        string model = d.Model();
        FinetuneSpec Spec(string o) => new()
        {
            Manifest = d.Parsed(), TextOnly = true, Model = model, Out = Path.Combine(d.Dir, o),
            Options = Small(7) with { Epochs = 2, LoraTargetModules = ["down_proj", "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj"] },
        };
        FinetuneRun.Run(Spec("full"));
        Assert.Throws<KilledException>(() => FinetuneRun.Run(Spec("killed"), afterStep: s => { if (s == 4) throw new KilledException(); }));
        FinetuneRun.Run(Spec("killed"));
        string full = FinetuneRun.SeedDir(Path.Combine(d.Dir, "full"), 7), killed = FinetuneRun.SeedDir(Path.Combine(d.Dir, "killed"), 7);
        Assert.Equal(File.ReadAllBytes(Path.Combine(full, Peft.WeightsFile)), File.ReadAllBytes(Path.Combine(killed, Peft.WeightsFile)));

        using (var st = SafeTensors.Open(Path.Combine(full, Peft.WeightsFile)))
        {
            Assert.Equal(new[] { 4, 32 }, st.ShapeOf("base_model.model.model.layers.1.self_attn.k_proj.lora_A.weight"));
            Assert.Equal(new[] { 32, 4 }, st.ShapeOf("base_model.model.model.layers.0.self_attn.o_proj.lora_B.weight"));
            Assert.Equal(new[] { 4, 32 }, st.ShapeOf("base_model.model.model.layers.0.mlp.gate_proj.lora_A.weight"));
            Assert.Equal(new[] { 4, 64 }, st.ShapeOf("base_model.model.model.layers.1.mlp.down_proj.lora_A.weight"));
            Assert.Equal(2 * 7 * 2 + 1, st.Names.Count);
            Assert.Contains(st.Get("base_model.model.model.layers.0.mlp.up_proj.lora_B.weight").ToF32().ReadOnlySpan.ToArray(), v => v != 0); // it trained
        }
        var cfg = SpeechTok.IO.ArtifactJson.ReadObject(Path.Combine(full, Peft.ConfigFile));
        Assert.Equal("[\"q_proj\",\"k_proj\",\"v_proj\",\"o_proj\",\"gate_proj\",\"up_proj\",\"down_proj\"]", cfg["target_modules"]!.ToJsonString());
        var runJson = SpeechTok.IO.ArtifactJson.ReadObject(Path.Combine(d.Dir, "full", RunFile.FileName));
        Assert.Equal(7, runJson["hyperparameters"]!["lora_target_modules"]!.AsArray().Count);
        // predict/evaluate rebuild the adapter from adapter_config.json: the stored predictions come back
        var stored = PredictionsFile.Load(Path.Combine(full, PredictionsFile.FileName("test"))).Probabilities;
        using var rm = RunModel.Load(Path.Combine(d.Dir, "full"));
        var again = rm.Predict(7, rm.Encode("test"));
        for (int i = 0; i < stored.Length; i++)
            for (int k = 0; k < stored[i].Length; k++) Assert.Equal(stored[i][k], again[i][k], 6);
        // another target list is another run
        var other = Spec("full") with { Options = Small(7) with { Epochs = 2 } };
        Assert.Contains("'hyperparameters.lora_target_modules' differs", Assert.Throws<SpeechTokException>(() => FinetuneRun.Run(other)).Message);
    }

    [Fact]
    public void Bad_input_gives_clear_errors()
    {
        using var d = new ToyData(labelOffset: 1); // labels 1, 2 with --num-labels 2
        var e = Assert.Throws<SpeechTokException>(() => FinetuneRun.Run(new FinetuneSpec
        {
            Manifest = d.Parsed(numClasses: 2), Model = d.Model(), Out = Path.Combine(d.Dir, "r"), TextOnly = true, Options = Small(1),
        }));
        Assert.Contains("label", e.Message);
        using var d2 = new ToyData(emptySplits: ["val"]);
        e = Assert.Throws<SpeechTokException>(() => FinetuneRun.Run(new FinetuneSpec
        {
            Manifest = d2.Parsed(), Model = d2.Model(), Out = Path.Combine(d2.Dir, "r"), TextOnly = true, Options = Small(1),
        }));
        Assert.Contains("val", e.Message);
        Assert.Contains("empty", e.Message);
    }

    [Fact]
    public void Nan_loss_stops_with_step_and_batch()
    {
        using var d = new ToyData();
        var (model, pre) = Pretrained(d);
        var rows = SpeechTok.Tensors.Tensor.Zeros(8, 32); // a finished pre-training whose rows are NaN
        rows.Span.Fill(float.NaN);
        SafeTensors.Save(Path.Combine(pre, Pretrainer.RowsFile), [("audio_embeddings", rows)]);
        var e = Assert.Throws<SpeechTokException>(() => FinetuneRun.Run(new FinetuneSpec
            { Manifest = d.Parsed(), Codes = d.Codes, Selection = d.Selection, Pretrained = pre, Model = model, Out = Path.Combine(d.Dir, "r"), Options = Small(1) }));
        Assert.Contains("step 1", e.Message);
        Assert.Contains("batch 0", e.Message);
    }

    /// <summary>Rows without pretrain.json (a kill between the two writes) were used unchecked, even for another selection.</summary>
    [Fact]
    public void Rows_of_an_unfinished_pretraining_are_refused()
    {
        using var d = new ToyData();
        var (model, pre) = Pretrained(d);
        File.Delete(Path.Combine(pre, PretrainFile.FileName));
        var e = Assert.Throws<SpeechTokException>(() => FinetuneRun.Run(new FinetuneSpec
            { Manifest = d.Parsed(), Codes = d.Codes, Selection = d.Selection, Pretrained = pre, Model = model, Out = Path.Combine(d.Dir, "r"), Options = Small(1) }));
        Assert.Contains("pretrain.json not found: the pre-training", e.Message);
        Assert.Contains("did not finish", e.Message);
    }

    /// <summary>The toy LM and a finished one-epoch pre-training of its rows (folder "pre").</summary>
    private static (string Model, string Pre) Pretrained(ToyData d)
    {
        string pre = Path.Combine(d.Dir, "pre"), model = d.Model();
        new PretrainSpec { Manifest = d.Parsed(), Codes = d.Codes, Selection = d.Selection, Model = model, Out = pre,
            Options = new PretrainOptions { Epochs = 1, BatchSize = 4, Accumulation = 1 } }.Run();
        return (model, pre);
    }
}
