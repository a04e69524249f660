using SpeechTok.Tensors;
using SpeechTok.Tensors.Ops;

namespace SpeechTok.Lm.Model;

/// <summary>
/// Llama with its LM head: logits over the base vocabulary plus the appended rows, the shifted causal-LM
/// loss (ignore −100), and either the gradient with respect to the appended rows only — through the input
/// lookup and through the (tied or untied) output rows, without a full-vocabulary weight gradient — or,
/// for full-parameter training, the gradient of every trainable weight (<see cref="LossAndGradients"/>).
/// </summary>
public sealed unsafe class LlamaForCausalLm : IDisposable
{
    public LlamaModel Model { get; }
    private readonly NativeBuffers _logitsMem = new();
    private float* _logits, _dHidden, _hidden;
    private long _logitsLen, _hiddenLen;

    public LlamaForCausalLm(LlamaWeights weights) => Model = new LlamaModel(weights);

    public int VocabSize => Model.Weights.VocabSize;

    /// <summary>Logits [b, t, vocab] (vocab includes appended rows).</summary>
    public float[] Logits(ReadOnlySpan<int> ids, ReadOnlySpan<int> mask, int b, int t)
    {
        float* logits = Forward(ids, mask, b, t, false, null);
        return new ReadOnlySpan<float>(logits, b * t * VocabSize).ToArray();
    }

    /// <summary>
    /// Incremental decoding, as HF's forward with <c>past_key_values</c> (a DynamicCache) and <c>logits_to_keep=1</c>:
    /// the logits [vocab] (appended rows included) of the last of <paramref name="ids"/> [t], which continue the sequence
    /// held in <paramref name="pastKeyValues"/> (empty: a prefill of the prompt; then typically one token per call).
    /// Their keys and values are appended to the cache, and only the last position reaches the LM head. Equal to the
    /// last row of <see cref="Logits"/> over the whole sequence up to float rounding (other summation orders), up to
    /// <c>sliding_window</c> positions (past it the cache attends the last window, as HF; the full forward has no window).
    /// </summary>
    /// <exception cref="SpeechTokException">No ids; more positions than the cache's capacity; a cache made for another
    /// model shape; a prefill longer than the model's <c>sliding_window</c>.</exception>
    public float[] NextTokenLogits(ReadOnlySpan<int> ids, LlamaKvCache pastKeyValues)
    {
        int t = ids.Length;
        if (t == 0) throw new SpeechTokException("incremental decoding needs at least one new token id");
        // The last layer computes its queries and MLP for the read position only (its keys and values for every row).
        float* hidden = Model.Forward(ids, [], 1, t, false, readPositions: [t - 1], pastKeyValues: pastKeyValues);
        var logits = new float[VocabSize];
        fixed (float* y = logits) LmHead(y, hidden, 1);
        return logits;
    }

    /// <summary>
    /// Allocates now the buffers a forward of <paramref name="b"/> full sequences of <paramref name="t"/> tokens (and its
    /// backward, when <paramref name="forBackward"/>) will use, so that a batch too large for memory fails before a run has
    /// written anything. Every buffer is written before it is read, so the results do not depend on it.
    /// </summary>
    /// <exception cref="OutOfMemoryException">The buffers do not fit in memory.</exception>
    public void Reserve(int b, int t, bool forBackward)
    {
        long n = (long)b * t;
        Model.Reserve(n, n * t, forBackward);
        EnsureBuffers(checked((int)n), VocabSize, Model.Config.HiddenSize);
    }

    /// <summary>Output of the final RMSNorm [b, t, hidden].</summary>
    public float[] FinalHidden(ReadOnlySpan<int> ids, ReadOnlySpan<int> mask, int b, int t) =>
        new ReadOnlySpan<float>(Model.Forward(ids, mask, b, t, false), b * t * Model.Config.HiddenSize).ToArray();

    /// <summary>
    /// The causal-LM loss without gradients, as HF <c>ForCausalLMLoss</c>: position i's logits predict labels[i + 1]
    /// (the shift is done here), a label of −100 (<see cref="CrossEntropy.IgnoreIndex"/>) is not a target.
    /// ids, mask (1 = real token, right padding), labels: [b, t]. Returns the summed loss in nats and its target count.
    /// </summary>
    /// <exception cref="ShapeMismatchException">A span whose length is not b·t.</exception>
    public CausalLmLoss Loss(ReadOnlySpan<int> ids, ReadOnlySpan<int> mask, ReadOnlySpan<int> labels, int b, int t)
    {
        float* logits = Forward(ids, mask, b, t, false, PackLengths(mask, labels, b, t));
        var targets = ShiftLabels(labels, Model.Batch);
        var (sum, count) = CrossEntropy.Forward(logits, targets, [], targets.Length, VocabSize);
        return new CausalLmLoss(sum, (int)count);
    }

    /// <summary>
    /// Loss plus gradients of the appended rows, accumulated (+=) into <paramref name="dInputRows"/> (the
    /// embedding-lookup side) and <paramref name="dOutputRows"/> (the output-projection side), both
    /// [nNew, hidden]. For tied embeddings pass the same array twice to get the total. <paramref name="dSum"/>
    /// is ∂objective/∂(loss sum): null means 1/count (the batch mean); pass 1/N_total when accumulating.
    /// </summary>
    public CausalLmLoss LossAndNewRowGradients(ReadOnlySpan<int> ids, ReadOnlySpan<int> mask, ReadOnlySpan<int> labels, int b, int t,
        float[] dInputRows, float[] dOutputRows, float? dSum = null)
    {
        var w = Model.Weights;
        int h = Model.Config.HiddenSize, vBase = w.BaseVocabSize, nNew = w.NewRowCount, v = VocabSize;
        if (nNew == 0) throw new SpeechTokException("the vocabulary has no appended rows to train");
        if (dInputRows.Length != nNew * h) throw ShapeMismatchException.Of("input-side row gradient", [dInputRows.Length], [nNew, h]);
        if (dOutputRows.Length != nNew * h) throw ShapeMismatchException.Of("output-side row gradient", [dOutputRows.Length], [nNew, h]);

        var loss = ForwardToLogitGradients(ids, mask, labels, b, t, dSum, out float* dLogits);
        int n = Model.Batch.Rows;
        // Frozen base rows: only the activation gradient. New output rows: dRows = dLogits[:, new]ᵀ·hidden.
        Linear.Backward(_dHidden, null, null, dLogits, _hidden, w.OutputWeight, n, h, vBase, ldy: v);
        fixed (float* dOut = dOutputRows)
            Linear.Backward(_dHidden, dOut, null, dLogits + vBase, _hidden, w.NewOutputRows!, n, h, nNew, ldy: v);
        float* dEmbed = Model.Backward(_dHidden);
        fixed (float* dIn = dInputRows)
            Embedding.BackwardRows(dIn, vBase, nNew, Model.Batch.Ids, dEmbed, h);
        return loss;
    }

    /// <summary>
    /// Full-parameter training step: loss plus the gradient of every tensor <paramref name="parameters"/>
    /// trains, ADDED (+=) into each <c>Parameter.Grad</c> (torch semantics: micro-batches accumulate until
    /// ZeroGrad). With tied embeddings <c>model.embed_tokens.weight</c> gets its input-lookup and output-
    /// projection parts in one tensor. Labels are HF's (shifted inside, −100 ignored), as in <see cref="Loss"/>.
    /// <paramref name="dSum"/> is ∂objective/∂(loss sum): null means 1/count (this batch's mean); pass
    /// 1/N_total when accumulating (HF ≥ 4.46 num_items_in_batch). The weight gradients are GEMMs
    /// (dW += dYᵀ·X, dBias += Σ dY) on the engine's threads; no temporary beyond the forward's logits.
    /// Throws when <paramref name="parameters"/> was made for other weights than this model's.
    /// </summary>
    public CausalLmLoss LossAndGradients(ReadOnlySpan<int> ids, ReadOnlySpan<int> mask, ReadOnlySpan<int> labels, int b, int t,
        LlamaParameters parameters, float? dSum = null)
    {
        var w = Model.Weights;
        if (!ReferenceEquals(parameters.Weights, w))
            throw new SpeechTokException("these parameters were created for other weights than this model's (LlamaParameters.Create(model weights))");
        if (w.NewRowCount > 0)
            throw new SpeechTokException($"full-parameter training needs a model without appended vocabulary rows, but this one has {w.NewRowCount}");
        int h = Model.Config.HiddenSize, v = VocabSize;
        var loss = ForwardToLogitGradients(ids, mask, labels, b, t, dSum, out float* dLogits);
        int n = Model.Batch.Rows;
        Linear.Backward(_dHidden, LlamaParameters.GradOf(parameters, w.OutputWeight), null, dLogits, _hidden, w.OutputWeight, n, h, v);
        float* dEmbed = Model.Backward(_dHidden, parameters);
        float* dTable = LlamaParameters.GradOf(parameters, w.EmbedTokens);
        if (dTable != null) Embedding.BackwardRows(dTable, 0, v, Model.Batch.Ids, dEmbed, h);
        return loss;
    }

    /// <summary>Training forward, loss, and dLogits (in place of the logits); clears dHidden for the head's backward.</summary>
    private CausalLmLoss ForwardToLogitGradients(ReadOnlySpan<int> ids, ReadOnlySpan<int> mask, ReadOnlySpan<int> labels, int b, int t,
        float? dSum, out float* dLogits)
    {
        int v = VocabSize;
        float* logits = Forward(ids, mask, b, t, true, PackLengths(mask, labels, b, t));
        var targets = ShiftLabels(labels, Model.Batch);
        int n = targets.Length;
        var (sum, count) = CrossEntropy.Forward(logits, targets, [], n, v);
        float g = dSum ?? (count > 0 ? (float)(1 / count) : 0f);
        CrossEntropy.Backward(logits, logits, targets, [], n, v, g); // logits now hold dLogits
        new Span<float>(_dHidden, n * Model.Config.HiddenSize).Clear();
        dLogits = logits;
        return new CausalLmLoss(sum, (int)count);
    }

    /// <summary>Logits of the rows of <see cref="LlamaModel.Batch"/>: every position, or only the real tokens when <paramref name="packLengths"/> is given.</summary>
    private float* Forward(ReadOnlySpan<int> ids, ReadOnlySpan<int> mask, int b, int t, bool forBackward, int[]? packLengths)
    {
        float* hidden = _hidden = Model.Forward(ids, mask, b, t, forBackward, packLengths: packLengths);
        int n = Model.Batch.Rows;
        EnsureBuffers(n, VocabSize, Model.Config.HiddenSize);
        LmHead(_logits, hidden, n);
        return _logits;
    }

    /// <summary>lm_head: logits y [n, vocab] of the final hidden states [n, hidden], the appended rows' after the base vocabulary's.</summary>
    private void LmHead(float* y, float* hidden, int n)
    {
        var w = Model.Weights;
        int h = Model.Config.HiddenSize, v = VocabSize;
        Linear.Forward(y, hidden, w.OutputWeight, null, n, h, w.BaseVocabSize, ldy: v);
        if (w.NewOutputRows is { } rows) Linear.Forward(y + w.BaseVocabSize, hidden, rows, null, n, h, w.NewRowCount, ldy: v);
    }

    private void EnsureBuffers(int n, int v, int h)
    {
        if (_logitsLen >= (long)n * v && _hiddenLen >= (long)n * h) return; // grown to the largest batch: packed batches vary in rows
        _logitsMem.Dispose();
        _logitsLen = (long)n * v; _hiddenLen = (long)n * h;
        _logits = _logitsMem.Floats(_logitsLen);
        _dHidden = _logitsMem.Floats(_hiddenLen);
    }

    /// <summary>
    /// The real lengths of a right-padded batch whose loss reads no pad position's output: a pad position's target
    /// (the label after it) is −100 beyond the first pad, whose output predicts nothing. Otherwise null (every position
    /// is computed, as HF does with such labels).
    /// </summary>
    private static int[]? PackLengths(ReadOnlySpan<int> mask, ReadOnlySpan<int> labels, int b, int t)
    {
        if (labels.Length != b * t) throw ShapeMismatchException.Of("labels vs [batch, seq]", [labels.Length], [b, t]);
        var lengths = PackedBatch.RightPaddedLengths(mask, b, t);
        if (lengths == null) return null;
        for (int bi = 0; bi < b; bi++)
            for (int j = lengths[bi] + 1; j < t; j++)
                if (labels[bi * t + j] != CrossEntropy.IgnoreIndex) return null;
        return lengths;
    }

    /// <summary>Targets of the batch's rows: the target of position ti is labels[ti+1]; the last position of each row has none.</summary>
    private static int[] ShiftLabels(ReadOnlySpan<int> labels, PackedBatch batch)
    {
        int t = batch.T;
        if (labels.Length != batch.B * t) throw ShapeMismatchException.Of("labels vs [batch, seq]", [labels.Length], [batch.B, t]);
        var y = new int[batch.Rows];
        for (int bi = 0; bi < batch.B; bi++)
            for (int ti = 0, r = batch.CuSeqlens[bi]; r < batch.CuSeqlens[bi + 1]; ti++, r++)
                y[r] = ti + 1 < t ? labels[bi * t + ti + 1] : CrossEntropy.IgnoreIndex;
        return y;
    }

    public void Dispose()
    {
        _logitsMem.Dispose();
        Model.Dispose();
    }
}
