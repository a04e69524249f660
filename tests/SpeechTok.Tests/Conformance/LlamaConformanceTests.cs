using SpeechTok.Lm.Model;
using SpeechTok.Tensors;
using static SpeechTok.Tests.Conformance.LlamaFixture;

namespace SpeechTok.Tests.Conformance;

[Trait("Category", "Conformance")]
public sealed class LlamaConformanceTests
{
    public static TheoryData<string> Folders => FixtureRoot.Data("llama-");

    private static (int[] Ids, int[] Mask, int[] Labels, int B, int T) Batch(LlamaFixture f, string name)
    {
        var shape = f.Shape(name + "_input_ids");
        return (f.I64(name + "_input_ids"), f.I64(name + "_attention_mask"), f.I64(name + "_labels"), shape[0], shape[1]);
    }

    [Theory, MemberData(nameof(Folders))]
    public void Rope_frequencies_and_tables(string folder)
    {
        var f = new LlamaFixture(folder);
        using var lm = new LlamaForCausalLm(f.Weights());
        Close("rope_inv_freq", f.F32("rope_inv_freq"), lm.Model.InverseFrequencies, null, 1, 1e-6, 0);
        var unscaled = SpeechTok.Tensors.Ops.Rope.InverseFrequencies(f.Config.HeadDim, f.Config.RopeTheta, null);
        Close("rope_inv_freq_unscaled", f.F32("rope_inv_freq_unscaled"), unscaled, null, 1, 1e-6, 0);
        int t = f.Shape("rope_cos")[0], d = f.Shape("rope_cos")[1], half = d / 2;
        var (cos, sin) = lm.Model.RopeTables(t);
        // HF tables are cat(freqs, freqs): both halves equal ours.
        float[] Full(float[] h) => Enumerable.Range(0, t * d).Select(i => h[i / d * half + i % d % half]).ToArray();
        Close("rope_cos", f.F32("rope_cos"), Full(cos), null, 1, 0, 1e-6);
        Close("rope_sin", f.F32("rope_sin"), Full(sin), null, 1, 0, 1e-6);
    }

    [Theory, MemberData(nameof(Folders))]
    public void Base_logits_final_hidden_and_loss(string folder)
    {
        var f = new LlamaFixture(folder);
        using var ckpt = LlamaCheckpoint.Open(f.Folder); // the product's folder loader (config + model.safetensors)
        using var lm = new LlamaForCausalLm(ckpt.Weights);
        foreach (var name in new[] { "base_batch0", "base_batch1" })
        {
            var (ids, mask, labels, b, t) = Batch(f, name);
            Close(name + " final_hidden", f.F32(name + "_final_hidden"), lm.FinalHidden(ids, mask, b, t), mask, f.Config.HiddenSize);
            Close(name + " logits", f.F32(name + "_logits"), lm.Logits(ids, mask, b, t), mask, lm.VocabSize);
            CheckLoss(f, lm, name);
        }
    }

    private static void CheckLoss(LlamaFixture f, LlamaForCausalLm lm, string name)
    {
        var (ids, mask, labels, b, t) = Batch(f, name);
        var loss = lm.Loss(ids, mask, labels, b, t);
        Assert.Equal(f.Result(name, "n_targets").GetInt32(), loss.Count);
        Close(name + " loss_mean", [f.Result(name, "loss_mean").GetSingle()], [(float)loss.Mean], null, 1);
        Close(name + " loss_sum", [f.Result(name, "loss_sum").GetSingle()], [(float)loss.Sum], null, 1);
    }

    [Theory, MemberData(nameof(Folders))]
    public void Bf16_weights_stay_bf16_and_match_reference_logits(string folder)
    {
        var f = new LlamaFixture(folder);
        var w = f.Weights("model-bf16.safetensors");
        Assert.Equal(DType.BF16, w.EmbedTokens.DType);
        Assert.Equal(DType.BF16, w.Layers[0].QProj.DType);
        using var lm = new LlamaForCausalLm(w);
        foreach (var name in new[] { "base_batch0", "base_batch1" })
        {
            var (ids, mask, _, b, t) = Batch(f, name);
            Close("bf16 " + name + " logits", f.F32("bf16_" + name + "_logits"), lm.Logits(ids, mask, b, t), mask, lm.VocabSize);
        }
    }

    private static LlamaForCausalLm Extended(LlamaFixture f)
    {
        var w = f.Weights();
        var rows = f.Load("new_embed_rows_init");
        // Untied fixtures carry their own lm_head rows; the tied case reuses the embedding rows.
        w.ExtendVocabulary(rows, f.Config.TieWordEmbeddings ? null : f.Load("new_lm_head_rows_init"));
        return new LlamaForCausalLm(w);
    }

    [Theory, MemberData(nameof(Folders))]
    public void Extended_vocabulary_logits_loss_and_new_row_gradients(string folder)
    {
        var f = new LlamaFixture(folder);
        using var lm = Extended(f);
        int rows = lm.Model.Weights.NewRowCount * f.Config.HiddenSize;
        foreach (var name in new[] { "new_batch0", "new_batch1" })
        {
            var (ids, mask, labels, b, t) = Batch(f, name);
            Close(name + " logits", f.F32(name + "_logits"), lm.Logits(ids, mask, b, t), mask, lm.VocabSize);
            CheckLoss(f, lm, name);
            var dIn = new float[rows]; var dOut = new float[rows];
            var loss = lm.LossAndNewRowGradients(ids, mask, labels, b, t, dIn, dOut);
            Close(name + " loss (grad pass)", [f.Result(name, "loss_mean").GetSingle()], [(float)loss.Mean], null, 1);
            if (!f.Config.TieWordEmbeddings)
            {
                // Untied: the embedding rows get the input side only, the lm_head rows the output side.
                RelClose(name + " new embed rows grad (untied)", f.F32(name + "_grad_new_embed_rows"), dIn);
                RelClose(name + " new lm_head rows grad (untied)", f.F32(name + "_grad_new_lm_head_rows"), dOut);
                continue;
            }
            var total = new float[rows];
            lm.LossAndNewRowGradients(ids, mask, labels, b, t, total, total);
            RelClose(name + " total grad (tied)", f.F32(name + "_grad_new_embed_rows"), total);
            // The tied case's split into its two parts is a debugging aid: checked where the folder has it.
            if (f.Has(name + "_grad_new_embed_rows_input_side_only"))
                RelClose(name + " input-side grad", f.F32(name + "_grad_new_embed_rows_input_side_only"), dIn);
            if (f.Has(name + "_grad_new_embed_rows_output_side_only"))
                RelClose(name + " output-side grad", f.F32(name + "_grad_new_embed_rows_output_side_only"), dOut);
        }
    }

    [Theory, MemberData(nameof(Folders))]
    public void Lora_sequence_classification_pooled_logits_loss_and_gradients(string folder)
    {
        var f = new LlamaFixture(folder);
        var cls = f.Reference.GetProperty("fixture_params").GetProperty("cls");
        int numLabels = cls.GetProperty("num_labels").GetInt32(), r = cls.GetProperty("r").GetInt32();
        float alpha = cls.GetProperty("alpha").GetSingle();
        int pad = f.Reference.GetProperty("fixture_params").GetProperty("batches").GetProperty("pad_id").GetInt32();
        float[] classWeights = cls.GetProperty("class_weights").EnumerateArray().Select(e => e.GetSingle()).ToArray();
        int[] labels = cls.GetProperty("labels").EnumerateArray().Select(e => e.GetInt32()).ToArray();

        var w = f.Weights();
        w.ExtendVocabulary(f.Load("new_embed_rows_init"), f.Config.TieWordEmbeddings ? null : f.Load("new_lm_head_rows_init"));
        var lora = new LoraAdapters(f.Config, r, alpha, 0f, seed: 1);
        for (int l = 0; l < f.Config.NumLayers; l++)
        {
            f.F32($"lora_layer{l}_q_proj_A").CopyTo(lora.QProj[l].A, 0);
            f.F32($"lora_layer{l}_q_proj_B").CopyTo(lora.QProj[l].B, 0);
            f.F32($"lora_layer{l}_v_proj_A").CopyTo(lora.VProj[l].A, 0);
            f.F32($"lora_layer{l}_v_proj_B").CopyTo(lora.VProj[l].B, 0);
        }
        using var model = new LlamaForSequenceClassification(w, numLabels, pad, lora, f.F32("score_weight"));
        for (int i = 0; i < 2; i++)
        {
            string name = $"cls_batch{i}";
            var (ids, mask, _, b, t) = Batch(f, $"new_batch{i}");
            Assert.Equal(f.I64(name + "_pool_index"), LlamaForSequenceClassification.PoolIndex(ids, b, t, pad));
            model.Model.Lora = null;
            Close(name + " pooled logits without LoRA", f.F32(name + "_pooled_logits_without_lora"), model.Logits(ids, mask, b, t), null, 1);
            model.Model.Lora = lora;
            Close(name + " pooled logits", f.F32(name + "_pooled_logits"), model.Logits(ids, mask, b, t), null, 1);

            lora.ZeroGrad();
            Array.Clear(model.ScoreGrad);
            var (sum, wsum, _) = model.CrossEntropyStep(ids, mask, b, t, labels, classWeights);
            Close(name + " weighted CE", [f.Result("seq_cls", name, "loss_weighted_ce").GetSingle()], [(float)(sum / wsum)], null, 1);
            RelClose(name + " grad score.weight", f.F32(name + "_grad_score_weight"), model.ScoreGrad);
            for (int l = 0; l < f.Config.NumLayers; l++)
            {
                RelClose($"{name} grad layer{l} q A", f.F32($"{name}_grad_lora_layer{l}_q_proj_A"), lora.QProj[l].GradA);
                RelClose($"{name} grad layer{l} q B", f.F32($"{name}_grad_lora_layer{l}_q_proj_B"), lora.QProj[l].GradB);
                RelClose($"{name} grad layer{l} v A", f.F32($"{name}_grad_lora_layer{l}_v_proj_A"), lora.VProj[l].GradA);
                RelClose($"{name} grad layer{l} v B", f.F32($"{name}_grad_lora_layer{l}_v_proj_B"), lora.VProj[l].GradB);
            }
        }
    }
}
