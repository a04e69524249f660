using System.Runtime.CompilerServices;
using SpeechTok.Tensors;
using SpeechTok.Tensors.Ops;

namespace SpeechTok.Lm.Model;

/// <summary>
/// HF LlamaForSequenceClassification: a bias-free score head on the hidden state of the last non-pad token
/// (argmax over t of t·(id ≠ pad)). Trainable: the score weight, the model's LoRA adapters and, for full
/// fine-tuning (LLaMA-Factory's <c>finetuning_type: full</c>), the checkpoint tensors of <see cref="Parameters"/>;
/// everything else is frozen (activation gradients only). Appended vocabulary rows ([PAD]) always stay frozen.
/// </summary>
public sealed unsafe class LlamaForSequenceClassification : IDisposable
{
    public LlamaModel Model { get; }
    public int NumLabels { get; }
    public int PadTokenId { get; }
    /// <summary>score.weight [numLabels, hidden] and its gradient (accumulated by the backward pass).</summary>
    public float[] ScoreWeight { get; }
    public float[] ScoreGrad { get; }
    /// <summary>The backbone tensors that train (their gradients are added to by the backward pass), or null when the backbone is frozen.</summary>
    public LlamaParameters? Parameters { get; }

    private readonly int _hidden;

    /// <param name="scoreWeight">initial score.weight, or null for N(0, 0.02²) from <paramref name="seed"/> (HF's initializer_range).</param>
    /// <param name="parameters">backbone tensors to train (<see cref="LlamaParameters.Create"/> of <paramref name="weights"/>), or null.</param>
    public LlamaForSequenceClassification(LlamaWeights weights, int numLabels, int padTokenId, LoraAdapters? lora = null, float[]? scoreWeight = null, ulong seed = 0,
        LlamaParameters? parameters = null)
    {
        if (numLabels < 1) throw new SpeechTokException($"num_labels must be at least 1, got {numLabels}");
        if (parameters != null && !ReferenceEquals(parameters.Weights, weights))
            throw new SpeechTokException("these parameters were created for other weights than this model's (LlamaParameters.Create(model weights))");
        Parameters = parameters;
        Model = new LlamaModel(weights) { Lora = lora };
        NumLabels = numLabels;
        PadTokenId = padTokenId;
        _hidden = weights.Config.HiddenSize;
        ScoreWeight = GC.AllocateArray<float>(numLabels * _hidden, pinned: true);
        ScoreGrad = GC.AllocateArray<float>(numLabels * _hidden, pinned: true);
        if (scoreWeight != null)
        {
            if (scoreWeight.Length != ScoreWeight.Length) throw ShapeMismatchException.Of("score.weight", [scoreWeight.Length], [numLabels, _hidden]);
            scoreWeight.CopyTo(ScoreWeight, 0);
        }
        else Rng.ForPurpose(seed, "score.weight").FillNormal(ScoreWeight, 0, 0.02);
    }

    /// <summary>Index of the last non-pad token per row (HF: argmax over t of t·(id ≠ pad); 0 for an all-pad row).</summary>
    public static int[] PoolIndex(ReadOnlySpan<int> ids, int b, int t, int padTokenId)
    {
        if (ids.Length != b * t) throw ShapeMismatchException.Of("input_ids vs [batch, seq]", [ids.Length], [b, t]);
        var idx = new int[b];
        for (int bi = 0; bi < b; bi++)
            for (int ti = 0; ti < t; ti++)
                if (ids[bi * t + ti] != padTokenId) idx[bi] = ti;
        return idx;
    }

    /// <summary>Pooled logits [b, numLabels]; <paramref name="inputs"/> replaces the embeddings at some positions (see <see cref="InputOverride"/>).</summary>
    public float[] Logits(ReadOnlySpan<int> ids, ReadOnlySpan<int> mask, int b, int t, InputOverride? inputs = null) => Forward(ids, mask, b, t, false, inputs).Logits;

    /// <summary>
    /// Class-weighted cross-entropy (Σ w_y·nll / Σ w_y; empty weights = unweighted) and, accumulated (+=),
    /// the gradients of score.weight and of the LoRA factors. <paramref name="dSum"/> = ∂objective/∂(weighted
    /// sum); null means 1/Σw (this batch's mean). Returns the weighted sum and the weight sum. With
    /// <paramref name="inputs"/>, the gradient of each replaced input vector lands in its <see cref="InputOverride.Grad"/>.
    /// </summary>
    public (double Sum, double WeightSum, float[] Logits) CrossEntropyStep(ReadOnlySpan<int> ids, ReadOnlySpan<int> mask, int b, int t,
        ReadOnlySpan<int> labels, ReadOnlySpan<float> classWeights, float? dSum = null, InputOverride? inputs = null)
    {
        if (labels.Length != b) throw ShapeMismatchException.Of("labels vs batch", [labels.Length], [b]);
        foreach (var y in labels)
            if ((uint)y >= (uint)NumLabels) throw new SpeechTokException($"label {y} is outside [0, {NumLabels}) (num_labels = {NumLabels})");
        var (pooled, logits) = Forward(ids, mask, b, t, true, inputs);
        var dLogits = new float[logits.Length];
        double sum, wsum;
        fixed (float* lp = logits, dp = dLogits)
        {
            (sum, wsum) = CrossEntropy.Forward(lp, labels, classWeights, b, NumLabels);
            CrossEntropy.Backward(dp, lp, labels, classWeights, b, NumLabels, dSum ?? (float)(1 / wsum));
        }
        Backward(pooled, dLogits, b, inputs);
        return (sum, wsum, logits);
    }

    /// <summary>Multi-label: mean BCE-with-logits over [b, numLabels] targets in {0, 1}; gradients as above.</summary>
    public (double Loss, float[] Logits) MultiLabelStep(ReadOnlySpan<int> ids, ReadOnlySpan<int> mask, int b, int t, float[] targets, float dLoss = 1f,
        InputOverride? inputs = null)
    {
        if (targets.Length != b * NumLabels) throw ShapeMismatchException.Of("multi-label targets vs [batch, num_labels]", [targets.Length], [b, NumLabels]);
        var (pooled, logits) = Forward(ids, mask, b, t, true, inputs);
        var dLogits = new float[logits.Length];
        double loss;
        fixed (float* lp = logits, dp = dLogits, tp = targets)
        {
            loss = BceWithLogits.Forward(lp, tp, logits.Length);
            BceWithLogits.Backward(dp, lp, tp, logits.Length, dLoss);
        }
        Backward(pooled, dLogits, b, inputs);
        return (loss, logits);
    }

    private (float[] Pooled, float[] Logits) Forward(ReadOnlySpan<int> ids, ReadOnlySpan<int> mask, int b, int t, bool forBackward, InputOverride? inputs)
    {
        var idx = PoolIndex(ids, b, t, PadTokenId);
        // Only the pooled rows are read: the padding is skipped unless a pooled or replaced position lies in it, and the
        // last layer computes the pooled rows only (packed or not).
        var lengths = PackedBatch.RightPaddedLengths(mask, b, t);
        if (lengths != null && (idx.Where((p, bi) => p >= lengths[bi]).Any() || inputs?.Within(lengths, t) == false)) lengths = null;
        float* hidden = Model.Forward(ids, mask, b, t, forBackward && (Model.Lora != null || inputs != null || Parameters != null), inputs, lengths, readPositions: idx);
        var pooled = new ReadOnlySpan<float>(hidden, b * _hidden).ToArray();
        var logits = new float[b * NumLabels];
        fixed (float* pp = pooled, lp = logits)
            Linear.Forward(lp, pp, Ptr(ScoreWeight), b, _hidden, NumLabels);
        return (pooled, logits);
    }

    private void Backward(float[] pooled, float[] dLogits, int b, InputOverride? inputs)
    {
        var dPooled = new float[b * _hidden];
        fixed (float* pp = pooled, dl = dLogits, dp = dPooled)
            Linear.Backward(dp, Ptr(ScoreGrad), dl, pp, Ptr(ScoreWeight), b, _hidden, NumLabels);
        if (Model.Lora == null && inputs == null && Parameters == null) return; // nothing below the head trains
        var batch = Model.Batch;
        fixed (float* dh = dPooled)
        {
            float* dx = Model.Backward(dh, Parameters, inputGrad: inputs != null || Parameters != null);
            inputs?.CollectGrad(dx, batch);
            float* dTable = LlamaParameters.GradOf(Parameters, Model.Weights.EmbedTokens);
            if (dTable != null) Embedding.BackwardRows(dTable, 0, Model.Weights.BaseVocabSize, batch.Ids, dx, _hidden);
        }
    }

    private static float* Ptr(float[] a) => (float*)Unsafe.AsPointer(ref a[0]);

    public void Dispose() => Model.Dispose();
}
