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
        using var lm = new LlamaForCausalLm(f.Weights());
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
        // Untied fixtures would carry their own lm_head rows; the tied case reuses the embedding rows.
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
            RelClose(name + " input-side grad", f.F32(name + "_grad_new_embed_rows_input_side_only"), dIn);
            RelClose(name + " output-side grad", f.F32(name + "_grad_new_embed_rows_output_side_only"), dOut);
            var total = new float[rows];
            lm.LossAndNewRowGradients(ids, mask, labels, b, t, total, total);
            RelClose(name + " total grad (tied)", f.F32(name + "_grad_new_embed_rows"), total);
        }
    }
}
