using SpeechTok.Tests.Conformance;
using SpeechTok.Lm.Model;
using SpeechTok.Tensors;
using SpeechTok.Tensors.Ops;
using SpeechTok.Tests.Tensors;
using static SpeechTok.Tests.Lm.ModelTestData;

namespace SpeechTok.Tests.Lm;

public sealed class ModelTests
{
    [Fact]
    public void Config_parses_variants_and_rejects_unsupported_architecture()
    {
        var q = Config(qwen: true);
        Assert.True(q.QkvBias); Assert.False(q.OBias);
        Assert.Equal([2, 3], q.EosTokenIds);
        Assert.Equal("llama3", q.RopeScaling!.Type);
        Assert.Equal(2, Config().HeadDim);
        var e = Assert.Throws<SpeechTokException>(() => LlamaConfig.Parse("""{"architectures": ["GPT2LMHeadModel"], "hidden_size": 8}""", "x/config.json"));
        Assert.Contains("GPT2LMHeadModel", e.Message); Assert.Contains("x/config.json", e.Message);
        var e2 = Assert.Throws<SpeechTokException>(() => LlamaConfig.Parse("""{"architectures": ["LlamaForCausalLM"], "hidden_size": 8}""", "y"));
        Assert.Contains("num_attention_heads", e2.Message);
        var e3 = Assert.Throws<SpeechTokException>(() => LlamaConfig.Parse("""{"architectures": ["LlamaForCausalLM"], "rope_scaling": {"rope_type": "yarn", "factor": 2}, "hidden_size": 8, "intermediate_size": 8, "num_hidden_layers": 1, "num_attention_heads": 2, "vocab_size": 4}""", "z"));
        Assert.Contains("yarn", e3.Message);
        var e4 = Assert.Throws<SpeechTokException>(() => LlamaConfig.Parse("""{"architectures": ["LlamaForCausalLM"], "hidden_size": 256, "intermediate_size": 8, "num_hidden_layers": 1, "num_attention_heads": 5, "vocab_size": 4}""", "w"));
        Assert.Equal("w: hidden_size 256 is not a multiple of num_attention_heads 5, and there is no head_dim", e4.Message);
    }

    [Fact]
    public void Missing_tensor_and_wrong_shape_name_the_tensor_and_both_shapes()
    {
        var c = Config();
        var w = Weights(c, 1);
        w.Remove("model.layers.1.mlp.up_proj.weight");
        var e = Assert.Throws<SpeechTokException>(() => Load(c, w));
        Assert.Contains("model.layers.1.mlp.up_proj.weight", e.Message); Assert.Contains("[12, 8]", e.Message);
        w = Weights(c, 1);
        w["model.layers.0.self_attn.k_proj.weight"] = Tensor.Zeros(8, 8);
        var e2 = Assert.Throws<ShapeMismatchException>(() => Load(c, w));
        Assert.Contains("model.layers.0.self_attn.k_proj.weight", e2.Message);
        Assert.Contains("[8, 8]", e2.Message); Assert.Contains("[4, 8]", e2.Message);
        var untied = Config(tied: false);
        var wu = Weights(untied, 1);
        wu.Remove("lm_head.weight");
        Assert.Contains("lm_head.weight", Assert.Throws<SpeechTokException>(() => Load(untied, wu)).Message);
    }

    [Fact]
    public void A_checkpoint_tensor_the_config_does_not_use_is_an_error_not_dropped()
    {
        string dir = Directory.CreateTempSubdirectory("llama-fewer-layers-").FullName;
        try
        {
            string src = Path.Combine(FixtureRoot.RepoRoot, "tests", "fixtures", "llama-tiny");
            File.Copy(Path.Combine(src, "model.safetensors"), Path.Combine(dir, "model.safetensors"));
            File.WriteAllText(Path.Combine(dir, "config.json"), File.ReadAllText(Path.Combine(src, "config.json")).Replace("\"num_hidden_layers\": 2", "\"num_hidden_layers\": 1"));
            var e = Assert.Throws<SpeechTokException>(() => LlamaCheckpoint.Open(dir));
            Assert.Contains(dir, e.Message);
            Assert.Contains("'model.layers.1.", e.Message);
            Assert.Contains("num_hidden_layers 1", e.Message);
            using var whole = LlamaCheckpoint.Open(src); // the fixture's own config uses every tensor
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Batched_padded_logits_equal_each_sequence_alone()
    {
        var c = Config(qwen: true, mlpBias: true);
        var w = Load(c, Weights(c, 2));
        w.ExtendVocabulary(Rows(3, 8, 3));
        using var lm = new LlamaForCausalLm(w);
        var batch = lm.Logits(Ids, Mask, 2, 6);
        var alone = lm.Logits(Ids.AsSpan(6, 4), [], 1, 4);
        for (int i = 0; i < alone.Length; i++) Assert.True(Math.Abs(batch[6 * 14 + i] - alone[i]) < 1e-5, $"logit {i}");
        // The training workspace gives the same numbers as the inference one.
        var again = lm.Loss(Ids, Mask, Labels, 2, 6);
        var grads = new float[3 * 8];
        var withGrad = lm.LossAndNewRowGradients(Ids, Mask, Labels, 2, 6, grads, grads);
        Assert.Equal(again.Sum, withGrad.Sum, 5);
        Assert.Equal(5 + 3, again.Count);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void New_row_gradients_match_finite_differences(bool tied)
    {
        var c = Config(tied: tied);
        var w = Load(c, Weights(c, 4));
        var rows = Rows(3, 8, 5);
        var outRows = tied ? null : Rows(3, 8, 6);
        w.ExtendVocabulary(rows, outRows);
        using var lm = new LlamaForCausalLm(w);
        var dIn = new float[24]; var dOut = new float[24];
        lm.LossAndNewRowGradients(Ids, Mask, Labels, 2, 6, dIn, dOut);
        double Loss() => lm.Loss(Ids, Mask, Labels, 2, 6).Mean;
        if (tied)
        {
            var total = dIn.Zip(dOut, (a, b) => a + b).ToArray();
            GradCheck.Check("tied new rows", rows.Span, total, Loss, tol: 1e-2);
        }
        else
        {
            GradCheck.Check("untied new embedding rows", rows.Span, dIn, Loss, tol: 1e-2);
            GradCheck.Check("untied new lm_head rows", outRows!.Span, dOut, Loss, tol: 1e-2);
        }
    }

    [Fact]
    public void Lora_classification_gradients_with_dropout_match_finite_differences()
    {
        var c = Config();
        var w = Load(c, Weights(c, 7));
        var lora = new LoraAdapters(c, 2, 4f, 0.3f, seed: 9) { Training = true };
        var rng = new Random(3);
        foreach (var l in lora.All) for (int i = 0; i < l.B.Length; i++) l.B[i] = (float)(rng.NextDouble() - 0.5);
        using var m = new LlamaForSequenceClassification(w, 3, 0, lora, seed: 2);
        for (int i = 0; i < m.ScoreWeight.Length; i++) m.ScoreWeight[i] *= 20;
        int[] labels = [2, 0]; float[] cw = [0.5f, 1f, 2f];
        // Fix the dropout masks: every forward sees the same step.
        double Loss() { lora.Step = 0; var (s, ws, _) = m.CrossEntropyStep(Ids[..12].Select(i => i % 11).ToArray(), Mask, 2, 6, labels, cw); return s / ws; }
        Loss();
        lora.ZeroGrad(); Array.Clear(m.ScoreGrad);
        Loss();
        var gA = (float[])lora.QProj[1].GradA.Clone(); var gB = (float[])lora.VProj[0].GradB.Clone(); var gS = (float[])m.ScoreGrad.Clone();
        GradCheck.Check("lora q A (dropout)", lora.QProj[1].A, gA, Loss, tol: 1e-2);
        GradCheck.Check("lora v B (dropout)", lora.VProj[0].B, gB, Loss, tol: 1e-2);
        GradCheck.Check("score weight", m.ScoreWeight, gS, Loss, tol: 1e-2);
        // Dropout is active: a different step gives a different loss.
        lora.Step = 5;
        var (s2, w2, _) = m.CrossEntropyStep(Ids.Select(i => i % 11).ToArray(), Mask, 2, 6, labels, cw);
        Assert.NotEqual(Loss(), s2 / w2);
    }

    [Fact]
    public void Full_fine_tuning_classification_gradients_match_finite_differences()
    {
        // Every checkpoint tensor trains through the score head; the embedding table's gradient is the scatter of the
        // backbone's input gradient (the causal-LM path's output-projection part does not exist here).
        var c = Config(tied: false);
        var w = Load(c, Weights(c, 7));
        var parameters = LlamaParameters.Create(w);
        using var m = new LlamaForSequenceClassification(w, 3, 0, null, seed: 2, parameters: parameters);
        for (int i = 0; i < m.ScoreWeight.Length; i++) m.ScoreWeight[i] *= 20;
        int[] labels = [2, 0]; float[] cw = [0.5f, 1f, 2f];
        var ids = Ids.Select(i => i % 11).ToArray();
        double Loss() { var (s, ws, _) = m.CrossEntropyStep(ids, Mask, 2, 6, labels, cw); return s / ws; }
        Loss();
        var analytic = parameters.All.ToDictionary(p => p.Name, p => p.Grad.ReadOnlySpan.ToArray());
        Assert.All(analytic["lm_head.weight"], g => Assert.Equal(0f, g)); // the classifier never uses lm_head
        foreach (var p in parameters.All.Where(p => p.Name != "lm_head.weight"))
        {
            Assert.True(analytic[p.Name].Any(g => g != 0), $"{p.Name}: no gradient");
            GradCheck.Check(p.Name, p.Value.Span, analytic[p.Name], Loss, tol: 1e-2);
        }
        var other = LlamaParameters.Create(Load(c, Weights(c, 7)));
        Assert.Contains("other weights", Assert.Throws<SpeechTokException>(() => new LlamaForSequenceClassification(w, 3, 0, parameters: other)).Message);
    }

    [Theory]
    [InlineData(0.3f)]
    [InlineData(0f)]
    public void All_linear_lora_gradients_match_finite_differences(float dropout)
    {
        var c = Config();
        var w = Load(c, Weights(c, 7));
        var lora = new LoraAdapters(c, 2, 4f, dropout, seed: 9, targetModules: LoraAdapters.LayerProjections) { Training = true };
        var rng = new Random(5);
        foreach (var l in lora.All) for (int i = 0; i < l.B.Length; i++) l.B[i] = (float)(rng.NextDouble() - 0.5);
        using var m = new LlamaForSequenceClassification(w, 3, 0, lora, seed: 2);
        for (int i = 0; i < m.ScoreWeight.Length; i++) m.ScoreWeight[i] *= 20;
        int[] labels = [2, 0]; float[] cw = [0.5f, 1f, 2f];
        var ids = Ids.Select(i => i % 11).ToArray();
        double Loss() { lora.Step = 0; var (s, ws, _) = m.CrossEntropyStep(ids, Mask, 2, 6, labels, cw); return s / ws; }
        lora.ZeroGrad(); Array.Clear(m.ScoreGrad);
        Loss();
        // the analytic gradients first: every Loss() call below accumulates more
        var analytic = lora.All.ToDictionary(a => a, a => ((float[])a.GradA.Clone(), (float[])a.GradB.Clone()));
        foreach (var proj in LoraAdapters.LayerProjections)
            for (int layer = 0; layer < c.NumLayers; layer++)
            {
                var a = lora[proj]![layer];
                var (gA, gB) = analytic[a];
                Assert.Contains(gA, g => g != 0);
                GradCheck.Check($"{proj} layer {layer} A", a.A, gA, Loss, tol: 1e-2);
                GradCheck.Check($"{proj} layer {layer} B", a.B, gB, Loss, tol: 1e-2);
            }
        if (dropout > 0)
        {
            // each adapter draws its own mask: the same inputs give another loss at another step
            double at0 = Loss();
            lora.Step = 7;
            var (s7, w7, _) = m.CrossEntropyStep(ids, Mask, 2, 6, labels, cw);
            Assert.NotEqual(at0, s7 / w7);
        }
    }

    [Fact]
    public void Default_targets_are_q_and_v_and_extra_targets_leave_them_unchanged()
    {
        var c = Config();
        var w = Load(c, Weights(c, 7));
        var byDefault = new LoraAdapters(c, 2, 4f, 0.3f, seed: 9);
        Assert.Equal(["q_proj", "v_proj"], byDefault.TargetModules);
        var listed = new LoraAdapters(c, 2, 4f, 0.3f, seed: 9, targetModules: ["v_proj", "q_proj"]);
        var all = new LoraAdapters(c, 2, 4f, 0.3f, seed: 9, targetModules: LoraAdapters.LayerProjections);
        // q/v factors are drawn first, so adding targets does not move them
        foreach (var other in new[] { listed, all })
            foreach (var (a, b) in byDefault.All.Zip(other.QProj.Concat(other.VProj)))
                Assert.Equal(a.A, b.A);
        Assert.Equal(7 * c.NumLayers, all.All.Count);
        Assert.Null(byDefault["k_proj"]);
        Assert.Equal(c.IntermediateSize, all["down_proj"]![0].In);
        // with B = 0 (PEFT's init) the extra adapters add nothing, dropout on or off
        var ids = Ids.Select(i => i % 11).ToArray();
        using var m1 = new LlamaForSequenceClassification(w, 3, 0, byDefault, seed: 2);
        using var m2 = new LlamaForSequenceClassification(w, 3, 0, all, seed: 2);
        byDefault.Training = all.Training = true;
        Assert.Equal(m1.Logits(ids, Mask, 2, 6), m2.Logits(ids, Mask, 2, 6));
        Assert.Contains("not a projection", Assert.Throws<SpeechTokException>(() => new LoraAdapters(c, 2, 4f, 0f, 1, targetModules: ["lm_head"])).Message);
        Assert.Contains("twice", Assert.Throws<SpeechTokException>(() => new LoraAdapters(c, 2, 4f, 0f, 1, targetModules: ["q_proj", "q_proj"])).Message);
        Assert.Contains("at least one", Assert.Throws<SpeechTokException>(() => new LoraAdapters(c, 2, 4f, 0f, 1, targetModules: [])).Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Workspace_reused_after_a_larger_batch_gives_the_same_bits_as_a_fresh_one(bool allLinear)
    {
        var c = Config();
        var w = Load(c, Weights(c, 7));
        var ids = Ids.Select(i => i % 11).ToArray();
        int[] labels = [2, 0];
        (float[] Logits, float[] GradA, float[] GradB, float[] Score) Step(LlamaForSequenceClassification m, LoraAdapters lora)
        {
            lora.ZeroGrad(); Array.Clear(m.ScoreGrad);
            lora.Step = 3; // the same dropout masks in both models
            var (_, _, logits) = m.CrossEntropyStep(ids, Mask, 2, 6, labels, []);
            return (logits, lora.All.SelectMany(a => a.GradA).ToArray(), lora.All.SelectMany(a => a.GradB).ToArray(), (float[])m.ScoreGrad.Clone());
        }
        LoraAdapters NewLora()
        {
            var l = new LoraAdapters(c, 2, 4f, 0.3f, seed: 9, targetModules: allLinear ? LoraAdapters.LayerProjections : null) { Training = true };
            var rng = new Random(3);
            foreach (var a in l.All) for (int i = 0; i < a.B.Length; i++) a.B[i] = (float)(rng.NextDouble() - 0.5);
            return l;
        }
        var freshLora = NewLora();
        using var fresh = new LlamaForSequenceClassification(w, 3, 0, freshLora, seed: 2);
        var expected = Step(fresh, freshLora);
        var usedLora = NewLora();
        using var used = new LlamaForSequenceClassification(w, 3, 0, usedLora, seed: 2);
        // A longer batch first (the buffers then hold its values), and an inference pass in between.
        var longIds = Enumerable.Range(0, 3 * 9).Select(i => 1 + i * 7 % 10).ToArray();
        used.CrossEntropyStep(longIds, [], 3, 9, [1, 2, 0], []);
        used.Logits(ids[..6], Mask[..6], 1, 6);
        var got = Step(used, usedLora);
        Assert.Equal(expected.Logits, got.Logits);
        Assert.Equal(expected.GradA, got.GradA);
        Assert.Equal(expected.GradB, got.GradB);
        Assert.Equal(expected.Score, got.Score);
    }

    [Theory]
    [InlineData(0f, 2)]
    [InlineData(0.3f, 2)]
    [InlineData(0.3f, 1)] // layer 0 is also the pooled-row last layer
    public void Skipping_the_unread_embedding_gradient_leaves_every_lora_gradient_bit_identical(float dropout, int layers)
    {
        // Without trainable inputs, the backward stops inside layer 0 (no dK unless k has LoRA, no input projections'
        // dX, no input norm). A soft input equal to the token's own row keeps the forward bit-identical but needs the
        // full backward: both must give the same LoRA and head gradients, with and without LoRA dropout.
        var c = Config(layers: layers);
        var w = Load(c, Weights(c, 8));
        int h = c.HiddenSize;
        foreach (string[] targets in new[] { new[] { "q_proj", "v_proj" }, LoraAdapters.LayerProjections.ToArray() })
        {
            var lora = new LoraAdapters(c, 2, 4f, dropout, seed: 9, targetModules: targets) { Training = true };
            var rng = new Random(3);
            foreach (var a in lora.All) for (int i = 0; i < a.B.Length; i++) a.B[i] = (float)(rng.NextDouble() - 0.5);
            using var m = new LlamaForSequenceClassification(w, 3, 0, lora, seed: 2);
            var ids = Ids.Select(i => i % 11).ToArray();
            var own = new float[h];
            w.EmbedTokens.CopyTo((long)ids[2] * h, own);
            float[] Grads(InputOverride? over)
            {
                lora.ZeroGrad(); Array.Clear(m.ScoreGrad);
                lora.Step = 4; // the same dropout masks in both runs
                m.CrossEntropyStep(ids, Mask, 2, 6, [2, 0], [], inputs: over);
                return [.. lora.All.SelectMany(a => a.GradA.Concat(a.GradB)), .. m.ScoreGrad];
            }
            var skipped = Grads(null);
            var full = Grads(new InputOverride([2], own, h));
            Assert.Contains(skipped, g => g != 0);
            Assert.Equal(full.Select(BitConverter.SingleToInt32Bits), skipped.Select(BitConverter.SingleToInt32Bits));
        }
    }

    [Fact]
    public void Lora_dropout_is_off_outside_training()
    {
        var c = Config();
        var w = Load(c, Weights(c, 7));
        var withDropout = new LoraAdapters(c, 2, 4f, 0.5f, seed: 9);
        var without = new LoraAdapters(c, 2, 4f, 0f, seed: 9);
        var rng = new Random(3);
        foreach (var (a, b) in withDropout.All.Zip(without.All))
            for (int i = 0; i < a.B.Length; i++) a.B[i] = b.B[i] = (float)(rng.NextDouble() - 0.5);
        var ids = Ids.Select(i => i % 11).ToArray();
        using var m1 = new LlamaForSequenceClassification(w, 3, 0, withDropout, seed: 2);
        using var m2 = new LlamaForSequenceClassification(w, 3, 0, without, seed: 2);
        var eval = m1.Logits(ids, Mask, 2, 6);
        Assert.Equal(m2.Logits(ids, Mask, 2, 6), eval);
        withDropout.Training = true;
        Assert.NotEqual(eval, m1.Logits(ids, Mask, 2, 6));
        withDropout.Training = false;
        Assert.Equal(eval, m1.Logits(ids, Mask, 2, 6));
    }

    [Fact]
    public void Multi_label_bce_gradients_match_finite_differences()
    {
        var c = Config();
        var lora = new LoraAdapters(c, 2, 4f, 0f, seed: 1);
        var rng = new Random(4);
        foreach (var l in lora.All) for (int i = 0; i < l.B.Length; i++) l.B[i] = (float)(rng.NextDouble() - 0.5);
        using var m = new LlamaForSequenceClassification(Load(c, Weights(c, 8)), 3, 0, lora, seed: 3);
        for (int i = 0; i < m.ScoreWeight.Length; i++) m.ScoreWeight[i] *= 20;
        var ids = Ids.Select(i => i % 11).ToArray();
        float[] targets = [1, 0, 1, 0, 1, 1];
        double Loss() => m.MultiLabelStep(ids, Mask, 2, 6, targets).Loss;
        lora.ZeroGrad(); Array.Clear(m.ScoreGrad);
        Loss();
        var gA = (float[])lora.VProj[1].GradA.Clone(); var gS = (float[])m.ScoreGrad.Clone();
        GradCheck.Check("bce lora v A", lora.VProj[1].A, gA, Loss, tol: 1e-2);
        GradCheck.Check("bce score", m.ScoreWeight, gS, Loss, tol: 1e-2);
    }

    [Fact]
    public void Input_override_replaces_embeddings_and_its_gradient_matches_finite_differences()
    {
        var c = Config();
        var w = Load(c, Weights(c, 8));
        using var m = SharpClassifier(w);
        var ids = Ids.Select(i => i % 11).ToArray();
        int h = c.HiddenSize;
        // Overriding positions with their own token rows changes nothing (bitwise).
        var own = new float[2 * h];
        w.EmbedTokens.CopyTo((long)ids[2] * h, own.AsSpan(0, h));
        w.EmbedTokens.CopyTo((long)ids[8] * h, own.AsSpan(h, h));
        Assert.Equal(m.Logits(ids, Mask, 2, 6), m.Logits(ids, Mask, 2, 6, new InputOverride([2, 8], own, h)));
        // Other vectors change the logits, and the gradient w.r.t. them matches finite differences (also without LoRA).
        var values = GradCheck.Random(2 * h, 5, 0.5f);
        var over = new InputOverride([2, 8], values, h);
        Assert.NotEqual(m.Logits(ids, Mask, 2, 6), m.Logits(ids, Mask, 2, 6, over));
        double Loss() { var (sum, ws, _) = m.CrossEntropyStep(ids, Mask, 2, 6, [2, 0], [], inputs: over); return sum / ws; }
        Loss();
        GradCheck.Check("input override (CE)", values, (float[])over.Grad.Clone(), Loss, tol: 1e-2);
        float[] targets = [1, 0, 1, 0, 1, 1];
        using var noLora = new LlamaForSequenceClassification(w, 3, 0, null, m.ScoreWeight, 3);
        double Bce() => noLora.MultiLabelStep(ids, Mask, 2, 6, targets, inputs: over).Loss;
        Bce();
        GradCheck.Check("input override (BCE, no LoRA)", values, (float[])over.Grad.Clone(), Bce, tol: 1e-2);
        Assert.Throws<SpeechTokException>(() => m.Logits(ids, Mask, 2, 6, new InputOverride([12], new float[h], h)));
    }

    [Fact]
    public void Padding_skipped_by_packing_changes_nothing_against_each_sequence_alone()
    {
        var c = Config();
        var w = Load(c, Weights(c, 8));
        int h = c.HiddenSize;
        // Three right-padded rows of 7 (lengths 7, 3, 6), one with a soft input vector at position 1, one whose last
        // real token is the pad id (so the head reads position 4 of 6).
        int[] ids = [1, 5, 6, 7, 8, 9, 4, 1, 7, 5, 0, 0, 0, 0, 1, 9, 8, 3, 6, 0, 0];
        int[] mask = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 0];
        int[] lengths = [7, 3, 6], labels = [2, 0, 1];
        var vector = GradCheck.Random(h, 6, 0.5f);
        using var m = SharpClassifier(w);
        var lora = m.Model.Lora!;
        var rng = new Random(5);
        foreach (var a in lora.All) for (int i = 0; i < a.B.Length; i++) a.B[i] = (float)(rng.NextDouble() - 0.5);
        (float[] Logits, float[] Grads) Step(int[] stepIds, int[] stepMask, int b, int t, int[] stepLabels, int overridePos)
        {
            lora.ZeroGrad(); Array.Clear(m.ScoreGrad);
            var over = new InputOverride([overridePos], vector, h);
            var (_, _, logits) = m.CrossEntropyStep(stepIds, stepMask, b, t, stepLabels, [], dSum: 1f, inputs: over);
            return (logits, [.. lora.All.SelectMany(a => a.GradA.Concat(a.GradB)), .. m.ScoreGrad, .. over.Grad]);
        }
        var (logits, grads) = Step(ids, mask, 3, 7, labels, 7 + 1);
        Assert.Equal(7 + 3 + 6, m.Model.Batch.Rows); // the pad positions were not computed
        var sum = new float[grads.Length];
        for (int s = 0; s < 3; s++)
        {
            var alone = s == 1 ? Step(ids[7..10], [], 1, 3, [labels[1]], 1) : AloneWithout(s);
            for (int j = 0; j < 3; j++) Assert.True(Math.Abs(logits[s * 3 + j] - alone.Logits[j]) < 1e-5, $"logit {j} of row {s}");
            for (int i = 0; i < sum.Length; i++) sum[i] += alone.Grads[i];
        }
        for (int i = 0; i < sum.Length; i++) Assert.True(Math.Abs(grads[i] - sum[i]) <= 1e-5 + 1e-4 * Math.Abs(sum[i]), $"gradient {i}: {grads[i]} vs {sum[i]}");

        (float[] Logits, float[] Grads) AloneWithout(int s)
        {
            lora.ZeroGrad(); Array.Clear(m.ScoreGrad);
            var (_, _, l) = m.CrossEntropyStep(ids[(s * 7)..(s * 7 + lengths[s])], [], 1, lengths[s], [labels[s]], [], dSum: 1f);
            return (l, [.. lora.All.SelectMany(a => a.GradA.Concat(a.GradB)), .. m.ScoreGrad, .. new float[h]]);
        }
    }

    [Fact]
    public void Causal_lm_loss_and_gradients_skip_padding_as_a_sum_of_sequences_alone()
    {
        var c = Config(tied: false);
        var w = Load(c, Weights(c, 9));
        using var lm = new LlamaForCausalLm(w);
        var parameters = LlamaParameters.Create(w);
        int[] ids = [1, 5, 6, 7, 8, 1, 7, 5, 0, 0];
        int[] mask = [1, 1, 1, 1, 1, 1, 1, 1, 0, 0];
        int[] labels = [1, 5, 6, 7, 8, 1, 7, 5, CrossEntropy.IgnoreIndex, CrossEntropy.IgnoreIndex];
        float[] Grads() => [.. parameters.All.SelectMany(p => p.Grad.ToArray())];
        parameters.ZeroGrad();
        var batch = lm.LossAndGradients(ids, mask, labels, 2, 5, parameters, dSum: 1f);
        Assert.Equal(8, lm.Model.Batch.Rows);
        var grads = Grads();
        parameters.ZeroGrad();
        var first = lm.LossAndGradients(ids[..5], [], labels[..5], 1, 5, parameters, dSum: 1f);
        var second = lm.LossAndGradients(ids[5..8], [], labels[5..8], 1, 3, parameters, dSum: 1f);
        Assert.Equal(first.Count + second.Count, batch.Count);
        Assert.Equal(first.Sum + second.Sum, batch.Sum, 4);
        var sum = Grads();
        for (int i = 0; i < sum.Length; i++) Assert.True(Math.Abs(grads[i] - sum[i]) <= 1e-5 + 1e-4 * Math.Abs(sum[i]), $"gradient {i}: {grads[i]} vs {sum[i]}");
        // A label at a pad position (HF then scores that position) computes every position instead.
        var scoredPad = (int[])labels.Clone();
        scoredPad[9] = 4;
        lm.Loss(ids, mask, scoredPad, 2, 5);
        Assert.Equal(10, lm.Model.Batch.Rows);
    }

    [Fact]
    public void Bad_labels_are_clear_errors()
    {
        var c = Config();
        using var m = new LlamaForSequenceClassification(Load(c, Weights(c, 8)), 3, 0);
        var ids = Ids.Select(i => i % 11).ToArray();
        Assert.Contains("label 3", Assert.Throws<SpeechTokException>(() => m.CrossEntropyStep(ids, Mask, 2, 6, [3, 0], [])).Message);
        Assert.Throws<ShapeMismatchException>(() => m.CrossEntropyStep(ids, Mask, 2, 6, [1], []));
        var other = LlamaConfig.Parse("""{"architectures": ["LlamaForCausalLM"], "hidden_size": 16, "intermediate_size": 8, "num_hidden_layers": 2, "num_attention_heads": 4, "vocab_size": 11}""", "other");
        Assert.Contains("do not fit", Assert.Throws<SpeechTokException>(() => m.Model.Lora = new LoraAdapters(other, 2, 4f, 0f, 1)).Message);
    }

    private static LlamaConfig RopeConfig(string scaling, int maxPositions = 2048) => LlamaConfig.Parse($$"""
        {"architectures": ["LlamaForCausalLM"], "rope_scaling": {{scaling}}, "max_position_embeddings": {{maxPositions}}, "hidden_size": 32,
         "intermediate_size": 8, "num_hidden_layers": 1, "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 11}
        """, "rope/config.json");

    /// <summary>
    /// rope_scaling linear (both spellings of the type) is transformers' <c>_compute_linear_scaling_rope_parameters</c>,
    /// inv_freq /= factor in float32: against a float64 reference, and bit for bit against the inv_freq torch 1.13 gives
    /// (d 8, θ 10000; <c>inv = 1 / 10000 ** (arange(0, 8, 2).float() / 8); inv /= factor</c>).
    /// </summary>
    [Theory]
    [InlineData("""{"type": "linear", "factor": 4.0}""", 4.0, new uint[] { 0x3E800000, 0x3CCCCCCD, 0x3B23D70A, 0x3983126F })]
    [InlineData("""{"rope_type": "linear", "factor": 1.3}""", 1.3, new uint[] { 0x3F44EC4F, 0x3D9D89D9, 0x3BFC0FC1, 0x3A49A635 })]
    public void Linear_rope_scaling_divides_every_inverse_frequency_by_the_factor(string scaling, double factor, uint[] torchBits)
    {
        var c = RopeConfig(scaling);
        Assert.Equal(RopeScaling.Linear(factor), c.RopeScaling);
        var inv = Rope.InverseFrequencies(c.HeadDim, c.RopeTheta, c.RopeScaling);
        Assert.Equal(4, inv.Length);
        for (int i = 0; i < inv.Length; i++)
        {
            double reference = Math.Pow(10000, -2.0 * i / 8) / factor;
            Assert.True(Math.Abs(inv[i] - reference) <= 1e-6 * reference, $"inv_freq[{i}] {inv[i]} vs {reference}");
            Assert.Equal(torchBits[i], BitConverter.SingleToUInt32Bits(inv[i]));
        }
        Assert.Contains("rope_scaling.factor is missing", Assert.Throws<SpeechTokException>(() => RopeConfig("""{"type": "linear"}""")).Message);
    }

    /// <summary>
    /// rope_scaling dynamic (transformers' dynamic NTK) rescales the base only past max_position_embeddings; up to it the
    /// frequencies are the default's, bit for bit, and the model refuses a longer sequence rather than run it unscaled.
    /// yarn and longrope stay refused.
    /// </summary>
    [Fact]
    public void Dynamic_rope_scaling_is_the_default_up_to_max_position_embeddings_and_refuses_longer_sequences()
    {
        var c = RopeConfig("""{"type": "dynamic", "factor": 2.0}""", maxPositions: 6);
        Assert.Equal(RopeScaling.Dynamic(2.0), c.RopeScaling);
        var plain = c with { RopeScaling = null };
        Assert.Equal(Rope.InverseFrequencies(8, 10000, null), Rope.InverseFrequencies(c.HeadDim, c.RopeTheta, c.RopeScaling));
        var w = Weights(c, 4);
        using var dynamic = new LlamaForCausalLm(Load(c, w));
        using var reference = new LlamaForCausalLm(Load(plain, w));
        int[] ids = [1, 5, 7, 2, 9, 3, 4];
        Assert.Equal(reference.Logits(ids[..6], [], 1, 6), dynamic.Logits(ids[..6], [], 1, 6));
        var e = Assert.Throws<SpeechTokException>(() => dynamic.Logits(ids, [], 1, 7));
        Assert.Contains("7 positions exceeds max_position_embeddings 6", e.Message);
        Assert.Contains("'dynamic'", e.Message);
        Assert.Contains("sequences of up to 7 tokens exceed the model's max_position_embeddings 6",
            Assert.Throws<SpeechTokException>(() => c.CheckSequenceLength(7, "rope/config.json", "--max-length")).Message);
        foreach (string refused in new[] { """{"rope_type": "yarn", "factor": 4.0, "original_max_position_embeddings": 2048}""", """{"type": "longrope", "long_factor": [1], "short_factor": [1]}""" })
            Assert.Contains("is not supported (only default, linear, dynamic and llama3)", Assert.Throws<SpeechTokException>(() => RopeConfig(refused)).Message);
    }

    /// <summary>config.json's pad_token_id is not used by a causal LM and transformers loads any value: one outside the
    /// vocabulary (-1 in early Llama conversions) is taken as absent; bos/eos outside it stay errors.</summary>
    [Theory]
    [InlineData("-1", null)]
    [InlineData("11", null)]
    [InlineData("null", null)]
    [InlineData("10", 10)]
    public void Pad_token_id_outside_the_vocabulary_is_taken_as_absent(string pad, int? expected)
    {
        string json = $$"""{"architectures": ["LlamaForCausalLM"], "hidden_size": 8, "intermediate_size": 8, "num_hidden_layers": 1, "num_attention_heads": 2, "vocab_size": 11, "pad_token_id": {{pad}}}""";
        Assert.Equal(expected, LlamaConfig.Parse(json, "p/config.json").PadTokenId);
        if (pad == "-1")
            Assert.Contains("p/config.json: bos_token_id -1 is outside the vocabulary (vocab_size 11)",
                Assert.Throws<SpeechTokException>(() => LlamaConfig.Parse(json.Replace("pad_token_id", "bos_token_id"), "p/config.json")).Message);
    }
}
