using SpeechTok.Lm.Model;
using SpeechTok.Tensors;
using SpeechTok.Tensors.Ops;
using SpeechTok.Tests.Tensors;
using static SpeechTok.Tests.Lm.ModelTestData;

namespace SpeechTok.Tests.Lm;

/// <summary>Full-parameter causal-LM gradients of tiny random models against central finite differences.</summary>
public sealed class FullGradientTests
{
    // ModelTestData's batch (GQA 4/2 heads, second row right-padded) with ids inside the base vocabulary of 11.
    private static readonly int[] BaseIds = Ids.Select(i => i % 11).ToArray();
    private static readonly int[] BaseLabels = Labels.Select(i => i == CrossEntropy.IgnoreIndex ? i : i % 11).ToArray();

    [Theory]
    [InlineData(true, false, false)]
    [InlineData(false, false, false)]
    [InlineData(true, true, true)]   // Qwen2-style q/k/v biases plus MLP biases
    [InlineData(false, true, false)]
    public void Every_weight_gradient_matches_finite_differences(bool tied, bool qwen, bool mlpBias)
    {
        var c = Config(tied, qwen, mlpBias);
        var w = Load(c, Weights(c, 11));
        var parameters = LlamaParameters.Create(w);
        using var lm = new LlamaForCausalLm(w);
        lm.LossAndGradients(BaseIds, Mask, BaseLabels, 2, 6, parameters);
        double Loss() => lm.Loss(BaseIds, Mask, BaseLabels, 2, 6).Mean;

        var expected = w.Named().Select(e => e.Name).ToList();
        Assert.Equal(expected, parameters.All.Select(p => p.Name));
        Assert.Equal(!tied, parameters["lm_head.weight"] != null);
        Assert.Equal(qwen, parameters["model.layers.1.self_attn.k_proj.bias"] != null);
        Assert.Equal(mlpBias, parameters["model.layers.0.mlp.down_proj.bias"] != null);
        foreach (var p in parameters.All)
        {
            Assert.Equal(p.Value.Rank > 1, p.Decay); // no weight decay on norms and biases
            GradCheck.Check(p.Name, p.Value.Span, p.Grad.ReadOnlySpan.ToArray(), Loss, tol: 1e-2);
        }
    }

    [Fact]
    public void Gradients_accumulate_and_dSum_scales_them_and_frozen_tensors_get_none()
    {
        var c = Config(tied: false, qwen: true);
        var w = Load(c, Weights(c, 12));
        var all = LlamaParameters.Create(w);
        using var lm = new LlamaForCausalLm(w);
        var loss = lm.LossAndGradients(BaseIds, Mask, BaseLabels, 2, 6, all);
        var once = all.All.Select(p => p.Grad.ReadOnlySpan.ToArray()).ToList();

        // Two micro-batches (one row each) with dSum = 1/N_total add up to the whole batch's mean gradient.
        all.ZeroGrad();
        float dSum = 1f / loss.Count;
        var first = lm.LossAndGradients(BaseIds.AsSpan(0, 6), Mask.AsSpan(0, 6), BaseLabels.AsSpan(0, 6), 1, 6, all, dSum);
        var second = lm.LossAndGradients(BaseIds.AsSpan(6), Mask.AsSpan(6), BaseLabels.AsSpan(6), 1, 6, all, dSum);
        Assert.Equal(loss.Count, first.Count + second.Count);
        Assert.Equal(loss.Sum, first.Sum + second.Sum, 4);
        for (int i = 0; i < once.Count; i++)
            Assert.True(MaxDiff(once[i], all.All[i].Grad.ReadOnlySpan) <= 1e-5 * (1 + MaxAbs(once[i])), all.All[i].Name);

        // Frozen tensors: no parameter, no gradient; the trainable ones get the same gradients as before.
        var some = LlamaParameters.Create(w, name => name.Contains("mlp.") || name == "model.norm.weight");
        Assert.Null(some["model.embed_tokens.weight"]);
        Assert.Null(some["model.layers.0.self_attn.q_proj.bias"]);
        Assert.NotNull(some["model.layers.1.mlp.gate_proj.weight"]);
        lm.LossAndGradients(BaseIds, Mask, BaseLabels, 2, 6, some);
        foreach (var p in some.All)
        {
            int i = all.All.ToList().FindIndex(q => q.Name == p.Name);
            Assert.True(MaxDiff(once[i], p.Grad.ReadOnlySpan) <= 1e-6 * (1 + MaxAbs(once[i])), p.Name);
        }
    }

    [Fact]
    public void Unwritable_weights_extended_vocabularies_and_foreign_parameters_are_clear_errors()
    {
        var c = Config();
        var w = Load(c, Weights(c, 13));
        var bf16 = Load(c, Weights(c, 13).ToDictionary(e => e.Key, e => e.Key == "model.norm.weight" ? Bf16(e.Value) : e.Value));
        var e1 = Assert.Throws<SpeechTokException>(() => LlamaParameters.Create(bf16));
        Assert.Contains("model.norm.weight", e1.Message); Assert.Contains("writable F32 copy", e1.Message);
        // A writable copy trains; frozen tensors may stay 16-bit.
        Assert.NotNull(LlamaParameters.Create(bf16.ToWritableF32())["model.norm.weight"]);
        Assert.Null(LlamaParameters.Create(bf16, n => n != "model.norm.weight")["model.norm.weight"]);

        using var lm = new LlamaForCausalLm(w);
        var foreign = LlamaParameters.Create(Load(c, Weights(c, 13)));
        Assert.Contains("other weights", Assert.Throws<SpeechTokException>(() => lm.LossAndGradients(BaseIds, Mask, BaseLabels, 2, 6, foreign)).Message);
        var extended = Load(c, Weights(c, 13));
        extended.ExtendVocabulary(Rows(3, 8, 1));
        // Appended rows stay frozen (no parameter covers them), and the causal-LM loss refuses them.
        var withRows = LlamaParameters.Create(extended);
        Assert.Equal(11, withRows["model.embed_tokens.weight"]!.Value.Shape[0]);
        using var extendedLm = new LlamaForCausalLm(extended);
        Assert.Contains("appended vocabulary rows", Assert.Throws<SpeechTokException>(() => extendedLm.LossAndGradients(BaseIds, Mask, BaseLabels, 2, 6, withRows)).Message);
    }

    private static unsafe Tensor Bf16(Tensor t)
    {
        var bits = GC.AllocateArray<ushort>((int)t.Length, pinned: true);
        for (int i = 0; i < bits.Length; i++) bits[i] = Half16.F32ToBf16(t.ReadOnlySpan[i]);
        fixed (ushort* p = bits) return Tensor.View(DType.BF16, (byte*)p, t.Shape, new Keep(bits), readOnly: true);
    }

    private sealed class Keep(ushort[] bits) : IDisposable
    {
        public ushort[] Bits { get; } = bits;
        public void Dispose() { }
    }

    private static double MaxAbs(ReadOnlySpan<float> a)
    {
        double m = 0;
        foreach (var v in a) m = Math.Max(m, Math.Abs(v));
        return m;
    }

    private static double MaxDiff(float[] a, ReadOnlySpan<float> b)
    {
        double m = 0;
        for (int i = 0; i < a.Length; i++) m = Math.Max(m, Math.Abs(a[i] - b[i]));
        return m;
    }
}
