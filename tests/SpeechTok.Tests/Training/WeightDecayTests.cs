using SpeechTok.Tensors;
using SpeechTok.Tensors.IO;
using SpeechTok.Training;

namespace SpeechTok.Tests.Training;

/// <summary>
/// <c>--weight-decay</c> reaches the optimizer of <c>finetune</c> (LoRA and <c>--finetuning-type full</c>) and of
/// <c>lm train</c> (<see cref="LmTrainerTests"/>): no test failed when it was dropped. Two one-step runs that differ only in
/// the decay take the same gradient from the same weights, so AdamW's decoupled decay is all that separates them.
/// </summary>
public sealed class WeightDecayTests
{
    /// <summary>
    /// After one AdamW step from <paramref name="p0"/> with the same gradient: torch multiplies p0 by (1 − lr·wd) before
    /// subtracting the Adam update u, so p_wd = p0·(1 − lr·wd) − u = p_nowd − lr·wd·p0. Both sides are float32 with at most
    /// half an ulp of rounding per operation (the factor (float)(1 − lr·wd), the product, the two subtractions), which
    /// bounds the difference by 2⁻²³·(|p0| + |p_nowd| + |p_wd|); it is checked against twice that. The decay itself,
    /// lr·wd·|p0|, is hundreds of times that bound: each element with it above the bound must show it (most elements; none
    /// for LoRA's B, which starts at zero).
    /// </summary>
    internal static void AssertDecoupledDecay(string name, ReadOnlySpan<float> p0, float[] noDecay, float[] decayed, double lrWd)
    {
        Assert.Equal(p0.Length, noDecay.Length);
        Assert.Equal(p0.Length, decayed.Length);
        int visible = 0, nonZero = 0;
        for (int i = 0; i < p0.Length; i++)
        {
            double expected = noDecay[i] - lrWd * p0[i];
            double bound = Math.ScaleB(Math.Abs(p0[i]) + Math.Abs(noDecay[i]) + Math.Abs(decayed[i]), -22);
            if (Math.Abs(decayed[i] - expected) > bound)
                Assert.Fail($"{name}[{i}]: {decayed[i]:R} with weight decay, expected {expected:R} (without: {noDecay[i]:R}, initial {p0[i]:R}, lr·wd {lrWd})");
            if (lrWd * Math.Abs(p0[i]) > bound) visible++;
            if (p0[i] != 0) nonZero++;
        }
        Assert.True(visible >= nonZero / 2, $"{name}: the decay exceeds float rounding at only {visible} of {nonZero} elements: the check sees too little");
    }

    private static FinetuneOptions OneStep(FinetuneOptions o, double weightDecay) =>
        // 8 train samples in one batch and one epoch: one step. No warm-up: with one, HF's schedule gives the first step lr 0.
        o with { Epochs = 1, BatchSize = 8, WarmupRatio = 0, WeightDecay = weightDecay, Seeds = [Seed] };

    private const int Seed = 7;
    private const double Decay = 0.1;

    /// <summary>Both runs' seed folders and the trainable tensors as they were before the step (named as the seed folder names them).</summary>
    private static (string NoDecay, string Decayed, Dictionary<string, Tensor> Initial) Runs(ToyData d, FinetuneOptions o)
    {
        string model = d.Model();
        var dirs = new[] { 0, Decay }.Select(wd =>
        {
            string run = Path.Combine(d.Dir, $"run-wd{wd}");
            FinetuneRun.Run(new FinetuneSpec { Manifest = d.Parsed(), Model = model, Out = run, TextOnly = true, Options = OneStep(o, wd) });
            return FinetuneRun.SeedDir(run, Seed);
        }).ToArray();
        // The seed's model as fine-tuning builds it (FinetuneRun.Run: appended rows of the seed, then Finetuner.NewModel).
        using var lm = LanguageModel.Load(model, null);
        var (embed, head) = lm.NewRows(Seed);
        var (lora, backbone, classifier) = Finetuner.NewModel(lm, lm.Weights.WithVocabularyExtension(embed, head), 2, Seed, OneStep(o, 0));
        bool full = lora == null;
        var initial = Finetuner.Trainables(lora, classifier, 2).Select(t => (Name: full && t.Name == Peft.ScoreKey ? FullModel.ScoreKey : t.Name, Tensor: t.Tensor))
            .Concat(backbone?.All.Select(p => (p.Name, Tensor: p.Value)) ?? [])
            .ToDictionary(t => t.Name, t => Tensor.FromData(t.Tensor.ReadOnlySpan, t.Tensor.Shape));
        classifier.Dispose();
        return (dirs[0], dirs[1], initial);
    }

    /// <summary>LoRA: every trainable tensor (the A and B factors and the score head) decays.</summary>
    [Fact]
    public void Lora_fine_tuning_decays_the_factors_and_the_score_head()
    {
        using var d = new ToyData(perSplit: 8);
        var o = TrainingTests.Small();
        var (noDecay, decayed, initial) = Runs(d, o);
        using var a = SafeTensors.Open(Path.Combine(noDecay, Peft.WeightsFile));
        using var b = SafeTensors.Open(Path.Combine(decayed, Peft.WeightsFile));
        Assert.Equal(initial.Keys.Order(StringComparer.Ordinal), a.Names.Order(StringComparer.Ordinal));
        Assert.Contains(initial, t => t.Key.Contains("lora_A", StringComparison.Ordinal));
        foreach (var (name, p0) in initial)
            AssertDecoupledDecay(name, p0.ReadOnlySpan, a.Get(name).ToArray(), b.Get(name).ToArray(), o.Lr * Decay);
    }

    /// <summary>Full fine-tuning: the matrices (backbone and score head) decay, the 1-D norm weights do not (HF's Trainer
    /// excludes biases and norms); the appended [PAD] row is frozen.</summary>
    [Fact]
    public void Full_fine_tuning_decays_the_matrices_and_not_the_norm_weights()
    {
        using var d = new ToyData(perSplit: 8);
        var o = new FinetuneOptions { FinetuningType = FinetuneOptions.Full, Lr = 1e-3 };
        var (noDecay, decayed, initial) = Runs(d, o);
        using var a = SafeTensors.Open(Path.Combine(noDecay, FullModel.WeightsFile));
        using var b = SafeTensors.Open(Path.Combine(decayed, FullModel.WeightsFile));
        Assert.Equal(initial.Keys.Order(StringComparer.Ordinal), a.Names.Order(StringComparer.Ordinal));
        int norms = 0;
        foreach (var (name, p0) in initial)
        {
            var (x, y) = (a.Get(name).ToArray(), b.Get(name).ToArray());
            int n = (int)p0.Length; // the embedding's saved rows go on with the appended [PAD] row, which no step changes
            Assert.Equal(x[n..], y[n..]);
            if (p0.Rank == 1)
            {
                norms++;
                Assert.Contains(p0.ReadOnlySpan.ToArray(), v => v != 0); // a decay would show
                Assert.True(x.AsSpan().SequenceEqual(y), $"{name}: a norm weight changed with weight decay");
            }
            else AssertDecoupledDecay(name, p0.ReadOnlySpan, x[..n], y[..n], o.Lr * Decay);
        }
        Assert.True(norms >= 3, $"{norms} norm weights"); // input and post-attention norms of a layer, and the final norm
    }
}
