using SpeechTok.Tensors;
using SpeechTok.Tensors.Ops;

namespace SpeechTok.Lm.Model;

/// <summary>
/// Llama decoder (HF LlamaModel semantics, eager attention) as explicit forward and backward passes over
/// flat activation buffers. The backward pass computes activation gradients, the gradients of LoRA factors
/// (new embedding rows via the caller) and, for full-parameter training, the weight gradients of the
/// tensors a <see cref="LlamaParameters"/> trains; frozen weights get none.
/// Activation buffers are grown to the largest batch seen (in rows, packed or not) and reused across steps.
/// </summary>
public sealed unsafe class LlamaModel : IDisposable
{
    public LlamaWeights Weights { get; }
    public LlamaConfig Config => Weights.Config;
    /// <summary>Optional LoRA on some projections (q_proj/v_proj by default); its gradients accumulate in the backward pass.</summary>
    public LoraAdapters? Lora
    {
        get => _lora;
        set
        {
            if (value != null)
            {
                foreach (var name in value.TargetModules)
                {
                    var (fit, shape) = (value[name]!, LoraAdapters.Shape(Config, LoraAdapters.IndexOf(name)));
                    if (fit.Count != Config.NumLayers || fit[0].In != shape.In || fit[0].Out != shape.Out)
                        throw new SpeechTokException($"LoRA adapters ({fit.Count} layers, {name} {fit[0].Out}×{fit[0].In}) " +
                            $"do not fit the model ({Config.NumLayers} layers, {name} {shape.Out}×{shape.In})");
                }
            }
            _lora = value;
        }
    }

    private LoraAdapters? _lora;

    private readonly float[] _invFreq;
    private float[] _cos = [], _sin = [];
    private Workspace? _ws;

    public LlamaModel(LlamaWeights weights)
    {
        Weights = weights;
        _invFreq = Rope.InverseFrequencies(Config.HeadDim, Config.RopeTheta, Config.RopeScaling);
    }

    internal float[] InverseFrequencies => _invFreq;

    /// <summary>
    /// Final hidden states (after model.norm) of the rows of <see cref="Batch"/>: [b·t, hidden], or with
    /// <paramref name="packLengths"/> only the real tokens, packed ([Σ lengths, hidden]); with
    /// <paramref name="readPositions"/> only those positions, [b, hidden]. Valid until the next forward.
    /// </summary>
    /// <param name="inputs">Soft vectors replacing the token embeddings at some positions, or null.</param>
    /// <param name="packLengths">The real length of each row of a right-padded batch (<see cref="PackedBatch.RightPaddedLengths"/>) to skip the padding, or null.</param>
    /// <param name="readPositions">
    /// The one position per row whose hidden state the caller reads (a classification head's pooled token), or null for
    /// all. The last layer then computes only those rows (its keys and values still cover every row): the other rows'
    /// last-layer outputs reach nothing, so this is exact up to rounding (another summation order), and it skips nearly a layer
    /// of work. LoRA dropout masks are then drawn over the computed rows (a packed or pruned pass draws other masks than a padded one).
    /// </param>
    /// <param name="pastKeyValues">
    /// HF's past_key_values, or null: the ids (one sequence, b = 1, no padding, inference only) continue the positions
    /// it holds; their keys and values are appended to it and their queries attend over all of them (positions, RoPE
    /// included, start at its length). On an empty cache (a prefill) attention is the full causal kernel's, as without a
    /// cache; after it each query attends the cached rows (at most the last <c>sliding_window</c>, as HF's sliding-window mask).
    /// </param>
    internal float* Forward(ReadOnlySpan<int> ids, ReadOnlySpan<int> mask, int b, int t, bool forBackward, InputOverride? inputs = null, int[]? packLengths = null,
        int[]? readPositions = null, LlamaKvCache? pastKeyValues = null)
    {
        var c = Config;
        if (ids.Length != b * t) throw ShapeMismatchException.Of("input_ids vs [batch, seq]", [ids.Length], [b, t]);
        if (!mask.IsEmpty && mask.Length != b * t) throw ShapeMismatchException.Of("attention_mask vs [batch, seq]", [mask.Length], [b, t]);
        var batch = PackedBatch.Create(ids, mask, b, t, packLengths);
        if (readPositions != null && readPositions.Length != b) throw ShapeMismatchException.Of("read positions vs batch", [readPositions.Length], [b]);
        int past = pastKeyValues == null ? 0 : CheckCached(pastKeyValues, batch, forBackward, packLengths);
        var ws = Prepare(batch, forBackward);
        ws.ReadPositions = readPositions;
        ws.ReadRows = readPositions?.Select((p, bi) => batch.Row(bi, p)).ToArray();
        int n = batch.Rows, h = c.HiddenSize, qd = c.NumHeads * c.HeadDim, kd = c.NumKvHeads * c.HeadDim, im = c.IntermediateSize;
        // Positions continue the cache's (HF's cache_position); without one, or on an empty one, they are the batch's.
        int[] positions = past == 0 ? batch.PositionIds : batch.PositionIds.Select(p => p + past).ToArray();
        int[]? queryPositions = past == 0 ? ws.ReadPositions : readPositions?.Select(p => p + past).ToArray();
        EnsureRope(past + t);
        bool dropout = ws.DropoutApplied = Lora != null && Lora.Training && Lora.Dropout > 0;
        if (Lora is { Training: true }) Lora.Step++;

        Embedding.Forward(ws.Resid(0), batch.Ids, Weights.EmbedTokens, Weights.NewEmbedRows);
        inputs?.Apply(ws.Resid(0), batch, h);
        for (int l = 0; l < c.NumLayers; l++)
        {
            var w = Weights.Layers[l];
            var a = ws.Layer(l);
            float* x = ws.Resid(l);
            // The last layer of a read-positions pass: queries, and all that follows them, only for the read rows.
            int[]? sel = l == c.NumLayers - 1 ? ws.ReadRows : null;
            int m = sel?.Length ?? n;
            RmsNorm.Forward(a.Xn1, a.Rstd1, x, w.InputLayerNorm, n, h, c.RmsNormEps);
            float* xq = a.Xn1;
            if (sel != null) Gather(xq = ws.XnQ, a.Xn1, sel, h);
            Linear.Forward(a.Q, xq, w.QProj, Bias(w.QBias), m, h, qd);
            Linear.Forward(a.K, a.Xn1, w.KProj, Bias(w.KBias), n, h, kd);
            Linear.Forward(a.V, a.Xn1, w.VProj, Bias(w.VBias), n, h, kd);
            LoraForward(Q, l, a.Q, xq, a, ws, m, dropout);
            LoraForward(K, l, a.K, a.Xn1, a, ws, n, dropout);
            LoraForward(V, l, a.V, a.Xn1, a, ws, n, dropout);
            Rope.Forward(a.Q, sel != null ? queryPositions! : positions, c.NumHeads, c.HeadDim, _cos, _sin);
            Rope.Forward(a.K, positions, c.NumKvHeads, c.HeadDim, _cos, _sin);
            pastKeyValues?.Store(l, past, a.K, a.V, n);
            if (past > 0)
                CachedAttention(a.AttOut, a.Q, sel != null ? queryPositions! : positions, pastKeyValues!, l);
            else if (sel != null)
                Attention.ForwardQueries(a.AttOut, a.Probs, a.Q, a.K, a.V, batch.CuSeqlens, ws.ReadPositions, batch.KeyMask, c.NumHeads, c.NumKvHeads, c.HeadDim);
            else
                Attention.Forward(a.AttOut, a.Probs, a.Q, a.K, a.V, batch.CuSeqlens, batch.KeyMask, c.NumHeads, c.NumKvHeads, c.HeadDim);
            Linear.Forward(ws.ScratchH, a.AttOut, w.OProj, Bias(w.OBias), m, qd, h);
            LoraForward(O, l, ws.ScratchH, a.AttOut, a, ws, m, dropout);
            if (sel != null)
            {
                Gather(a.Mid, x, sel, h);
                Elementwise.AddInPlace(a.Mid, ws.ScratchH, m * h);
            }
            else Elementwise.Add(x, ws.ScratchH, a.Mid, n * h);
            RmsNorm.Forward(a.Xn2, a.Rstd2, a.Mid, w.PostAttentionLayerNorm, m, h, c.RmsNormEps);
            Linear.Forward(a.Gate, a.Xn2, w.GateProj, Bias(w.GateBias), m, h, im);
            Linear.Forward(a.Up, a.Xn2, w.UpProj, Bias(w.UpBias), m, h, im);
            LoraForward(Gate, l, a.Gate, a.Xn2, a, ws, m, dropout);
            LoraForward(Up, l, a.Up, a.Xn2, a, ws, m, dropout);
            SwiGlu.Forward(a.Act, a.Gate, a.Up, m * im);
            Linear.Forward(ws.ScratchH, a.Act, w.DownProj, Bias(w.DownBias), m, im, h);
            LoraForward(Down, l, ws.ScratchH, a.Act, a, ws, m, dropout);
            Elementwise.Add(a.Mid, ws.ScratchH, ws.Resid(l + 1), m * h);
        }
        if (pastKeyValues != null) pastKeyValues.Length = past + n;
        int rows = ws.ReadRows?.Length ?? n;
        RmsNorm.Forward(ws.Hidden, ws.RstdF, ws.Resid(c.NumLayers), Weights.Norm, rows, h, c.RmsNormEps);
        return ws.Hidden;
    }

    /// <summary>The rows of the last <see cref="Forward"/>.</summary>
    internal PackedBatch Batch => _ws?.Batch ?? throw new InvalidOperationException("no forward pass yet");

    /// <summary>
    /// Back-propagates dHidden [rows of <see cref="Batch"/>, or the read positions', hidden] (the gradient of the final norm's output) through the backbone
    /// of the last <see cref="Forward"/> (which must have had forBackward). LoRA gradients accumulate, and so
    /// do the weight gradients of the tensors <paramref name="parameters"/> trains (null: the backbone is
    /// frozen and only activation gradients are computed). Returns the gradient of the embedding output [rows, hidden],
    /// or null when <paramref name="inputGrad"/> is false and nothing else needs it: then, with a frozen backbone, the
    /// first layer stops at the gradients of its attention projections' outputs (what its LoRA factors read), skipping
    /// the products that only feed the embedding gradient (the LoRA and weight gradients are the same bits).
    /// </summary>
    internal float* Backward(float* dHidden, LlamaParameters? parameters = null, bool inputGrad = true)
    {
        var ws = _ws is { KeepsAll: true, HasForward: true } ? _ws : throw new InvalidOperationException("backward needs a forward pass run with forBackward");
        var c = Config;
        var batch = ws.Batch!;
        int n = batch.Rows, h = c.HiddenSize, qd = c.NumHeads * c.HeadDim, kd = c.NumKvHeads * c.HeadDim, im = c.IntermediateSize;
        var g = parameters;
        float* dx = ws.DResid;
        int[]? read = ws.ReadRows;
        Clear(dx, n * h);
        RmsNorm.Backward(dx, Grad(g, Weights.Norm), dHidden, ws.Resid(c.NumLayers), ws.RstdF, Weights.Norm, read?.Length ?? n, h);
        for (int l = c.NumLayers - 1; l >= 0; l--)
        {
            var w = Weights.Layers[l];
            var a = ws.Layer(l);
            int[]? sel = l == c.NumLayers - 1 ? read : null; // see Forward: the read rows only, up to the queries
            int m = sel?.Length ?? n;
            // resid[l+1] = mid + down(swiglu(gate(xn2), up(xn2))): dx already holds d resid[l+1] = d mid (skip path).
            Clear(ws.DAct, m * im);
            Linear.Backward(ws.DAct, Grad(g, w.DownProj), Grad(g, w.DownBias), dx, a.Act, w.DownProj, m, im, h);
            LoraBackward(Down, l, ws.DAct, dx, a.Act, a, ws, m);
            // DGate, DUp are written rather than accumulated into: the same bits as += on cleared buffers, without the clears.
            SwiGlu.Backward(ws.DGate, ws.DUp, ws.DAct, a.Gate, a.Up, m * im, accumulate: false);
            Clear(ws.DXn, m * h);
            Linear.Backward(ws.DXn, Grad(g, w.GateProj), Grad(g, w.GateBias), ws.DGate, a.Xn2, w.GateProj, m, h, im);
            Linear.Backward(ws.DXn, Grad(g, w.UpProj), Grad(g, w.UpBias), ws.DUp, a.Xn2, w.UpProj, m, h, im);
            LoraBackward(Gate, l, ws.DXn, ws.DGate, a.Xn2, a, ws, m);
            LoraBackward(Up, l, ws.DXn, ws.DUp, a.Xn2, a, ws, m);
            RmsNorm.Backward(dx, Grad(g, w.PostAttentionLayerNorm), ws.DXn, a.Mid, a.Rstd2, w.PostAttentionLayerNorm, m, h);
            // mid = resid[l] + o_proj(attention(rope(q), rope(k), v))
            Clear(ws.DAttOut, m * qd);
            Linear.Backward(ws.DAttOut, Grad(g, w.OProj), Grad(g, w.OBias), dx, a.AttOut, w.OProj, m, qd, h);
            LoraBackward(O, l, ws.DAttOut, dx, a.AttOut, a, ws, m);
            // Below the first layer's projections only the embedding gradient is left: skip it when unread and frozen.
            bool stop = l == 0 && !inputGrad && g == null;
            bool needDk = !stop || Lora?.At(K, l) != null;
            Clear(ws.DQ, m * qd); Clear(ws.DK, n * kd); Clear(ws.DV, n * kd);
            if (sel != null)
                Attention.BackwardQueries(ws.DQ, ws.DK, ws.DV, ws.DAttOut, a.Probs, a.Q, a.K, a.V, batch.CuSeqlens, ws.ReadPositions, c.NumHeads, c.NumKvHeads, c.HeadDim);
            else
                Attention.Backward(ws.DQ, needDk ? ws.DK : null, ws.DV, ws.DAttOut, a.Probs, a.Q, a.K, a.V, batch.CuSeqlens, c.NumHeads, c.NumKvHeads, c.HeadDim);
            Rope.Backward(ws.DQ, sel != null ? ws.ReadPositions! : batch.PositionIds, c.NumHeads, c.HeadDim, _cos, _sin);
            if (needDk) Rope.Backward(ws.DK, batch.PositionIds, c.NumKvHeads, c.HeadDim, _cos, _sin);
            float* dxq = ws.DXn, xq = a.Xn1;
            if (sel != null) xq = ws.XnQ;
            if (stop)
            {
                LoraBackward(Q, l, null, ws.DQ, xq, a, ws, m);
                LoraBackward(K, l, null, ws.DK, a.Xn1, a, ws, n);
                LoraBackward(V, l, null, ws.DV, a.Xn1, a, ws, n);
                return null;
            }
            Clear(ws.DXn, n * h);
            if (sel != null) Clear(dxq = ws.DXnQ, m * h);
            Linear.Backward(dxq, Grad(g, w.QProj), Grad(g, w.QBias), ws.DQ, xq, w.QProj, m, h, qd);
            Linear.Backward(ws.DXn, Grad(g, w.KProj), Grad(g, w.KBias), ws.DK, a.Xn1, w.KProj, n, h, kd);
            Linear.Backward(ws.DXn, Grad(g, w.VProj), Grad(g, w.VBias), ws.DV, a.Xn1, w.VProj, n, h, kd);
            LoraBackward(Q, l, dxq, ws.DQ, xq, a, ws, m);
            LoraBackward(K, l, ws.DXn, ws.DK, a.Xn1, a, ws, n);
            LoraBackward(V, l, ws.DXn, ws.DV, a.Xn1, a, ws, n);
            if (sel != null)
            {
                ScatterAdd(ws.DXn, dxq, sel, h);
                // d resid[l]: the skip path reaches the read rows only, the input norm's path every row.
                new ReadOnlySpan<float>(dx, m * h).CopyTo(new Span<float>(ws.ScratchH, m * h));
                Clear(dx, n * h);
                ScatterAdd(dx, ws.ScratchH, sel, h);
            }
            RmsNorm.Backward(dx, Grad(g, w.InputLayerNorm), ws.DXn, ws.Resid(l), a.Rstd1, w.InputLayerNorm, n, h);
        }
        return dx;
    }

    private static float* Grad(LlamaParameters? parameters, Tensor? weight) => LlamaParameters.GradOf(parameters, weight);

    // Indices of the projections in LoraAdapters.LayerProjections.
    private const int Q = 0, K = 1, V = 2, O = 3, Gate = 4, Up = 5, Down = 6;

    /// <summary>y += the LoRA of projection <paramref name="p"/> at <paramref name="layer"/> on input x (nothing when it is not a target).</summary>
    private void LoraForward(int p, int layer, float* y, float* x, LayerActs a, Workspace ws, int n, bool dropout)
    {
        if (Lora?.At(p, layer) is not { } m) return;
        if (dropout)
        {
            // PEFT applies a separate dropout to each adapter's input; the mask depends on (seed, step, layer, projection).
            ulong seed = Lora.Seed * 0x9E3779B97F4A7C15UL ^ (ulong)Lora.Step << 20 ^ (ulong)DropoutSlot(p, layer) << 8;
            Dropout.Forward(a.LoraX[p], a.LoraMask[p], x, n * m.In, Lora.Dropout, seed);
            x = a.LoraX[p];
        }
        m.Forward(y, x, a.LoraU[p], ws.ScratchQ, n, Lora.Scale);
    }

    /// <summary>
    /// The dropout stream of an adapter: q_proj and v_proj keep the numbering they had when they were the only
    /// targets (2·layer, 2·layer + 1), so runs made then reproduce; the other projections come after all of those.
    /// </summary>
    private int DropoutSlot(int p, int layer) => p switch
    {
        Q => layer * 2,
        V => layer * 2 + 1,
        _ => Config.NumLayers * 2 + layer * 5 + (p == K ? 0 : p - 2),
    };

    /// <summary>The backward of <see cref="LoraForward"/>: LoRA gradients accumulate, dx (the input's gradient; null: not wanted) += its share.</summary>
    private void LoraBackward(int p, int layer, float* dx, float* dy, float* x, LayerActs a, Workspace ws, int n)
    {
        if (Lora?.At(p, layer) is not { } m) return;
        if (!ws.DropoutApplied || dx == null) // without dx the dropout mask has nothing to scale
        {
            m.Backward(dx, dy, ws.DropoutApplied ? a.LoraX[p] : x, a.LoraU[p], ws.ScratchR, n, Lora.Scale);
            return;
        }
        Clear(ws.ScratchH, n * m.In);
        m.Backward(ws.ScratchH, dy, a.LoraX[p], a.LoraU[p], ws.ScratchR, n, Lora.Scale);
        Dropout.Backward(dx, ws.ScratchH, a.LoraMask[p], n * m.In, Lora.Dropout);
    }

    /// <summary>The cache's length after checking that a forward can continue it (see <see cref="Forward"/>'s pastKeyValues).</summary>
    private int CheckCached(LlamaKvCache cache, PackedBatch batch, bool forBackward, int[]? packLengths)
    {
        if (batch.B != 1 || packLengths != null || batch.KeyMask.Any(m => m == 0))
            throw new SpeechTokException($"a KV cache continues one unpadded sequence, not a batch of {batch.B} (packed or masked)");
        if (forBackward) throw new SpeechTokException("a KV cache is for inference: a forward for backward cannot use one");
        int past = cache.Begin(Config, batch.Rows);
        // The prefill runs the full causal kernel, which has no sliding window (CheckSequenceLength refuses longer sequences).
        if (past == 0 && Config.SlidingWindow is int w && batch.Rows > w)
            throw new SpeechTokException($"a prefill of {batch.Rows} tokens exceeds the model's sliding_window {w} (sliding-window attention is implemented only for cached steps)");
        return past;
    }

    /// <summary>
    /// Attention of the queries q [m, hq, d] (RoPE'd, at absolute positions <paramref name="queryPositions"/>) over the cached
    /// keys and values of <paramref name="layer"/>, which already hold these positions: query p reads keys
    /// max(0, p + 1 − sliding_window) .. p, as HF's causal (and sliding-window) mask. One position at a time through
    /// <see cref="Attention.ForwardQueries"/> (one query per sequence), its sequence being the cached rows it sees.
    /// </summary>
    private void CachedAttention(float* output, float* q, int[] queryPositions, LlamaKvCache cache, int layer)
    {
        var c = Config;
        int qd = c.NumHeads * c.HeadDim, kd = c.NumKvHeads * c.HeadDim, window = c.SlidingWindow ?? int.MaxValue;
        for (int j = 0; j < queryPositions.Length; j++)
        {
            int p = queryPositions[j], len = Math.Min(p + 1, window), start = p + 1 - len;
            Attention.ForwardQueries(output + (long)j * qd, cache.Probs, q + (long)j * qd, cache.Keys(layer) + (long)start * kd, cache.Values(layer) + (long)start * kd,
                [0, len], [len - 1], [], c.NumHeads, c.NumKvHeads, c.HeadDim);
        }
    }

    /// <summary>dst[j] = src[rows[j]] for rows of <paramref name="h"/> floats.</summary>
    private static void Gather(float* dst, float* src, int[] rows, int h)
    {
        for (int j = 0; j < rows.Length; j++) new ReadOnlySpan<float>(src + (long)rows[j] * h, h).CopyTo(new Span<float>(dst + (long)j * h, h));
    }

    /// <summary>dst[rows[j]] += src[j] for rows of <paramref name="h"/> floats.</summary>
    private static void ScatterAdd(float* dst, float* src, int[] rows, int h)
    {
        for (int j = 0; j < rows.Length; j++) Elementwise.AddInPlace(dst + (long)rows[j] * h, src + (long)j * h, h);
    }

    private static float* Bias(Tensor? t) => t == null ? null : t.DType == DType.F32 ? (float*)t.Pointer : throw new SpeechTokException("16-bit biases must be upcast at load");

    private static void Clear(float* p, long n) => new Span<float>(p, checked((int)n)).Clear();

    private void EnsureRope(int t)
    {
        // HF's dynamic NTK rescales the base for a sequence past max_position_embeddings; only shorter ones have the default frequencies used here.
        if (Config.RopeScaling is { Type: "dynamic" } && t > Config.MaxPositionEmbeddings)
            throw new SpeechTokException($"a sequence of {t} positions exceeds max_position_embeddings {Config.MaxPositionEmbeddings}, past which rope_scaling 'dynamic' "
                + "would rescale the RoPE base (not implemented)");
        if (_cos.Length >= t * (Config.HeadDim / 2)) return;
        (_cos, _sin) = Rope.Tables(_invFreq, Math.Max(t, 16));
    }

    /// <summary>Rope cos/sin for positions 0..t−1 as [t, d/2] (for conformance checks).</summary>
    internal (float[] Cos, float[] Sin) RopeTables(int t) => Rope.Tables(_invFreq, t);

    private Workspace Prepare(PackedBatch batch, bool keepAll)
    {
        var ws = Reserve(batch.Rows, batch.Scores, keepAll);
        ws.Batch = batch;
        ws.HasForward = true;
        return ws;
    }

    /// <summary>The workspace, grown to hold <paramref name="tokens"/> rows and <paramref name="scores"/> attention scores per head (and every layer's activations when <paramref name="keepAll"/>).</summary>
    internal Workspace Reserve(long tokens, long scores, bool keepAll)
    {
        int loraRank = Lora?.Rank ?? 0;
        bool dropout = Lora != null && Lora.Dropout > 0;
        var targets = Lora?.TargetModules ?? [];
        if (_ws == null || tokens > _ws.Tokens || scores > _ws.Scores || (keepAll && !_ws.KeepsAll) || _ws.LoraRank != loraRank || (dropout && !_ws.LoraDropout)
            || !targets.All(_ws.LoraTargets.Contains))
        {
            // Batches of varying length share one workspace grown to the largest (every buffer is written before it
            // is read), instead of allocating and zeroing ~100 MB per step.
            long capTokens = Math.Max(tokens, _ws?.Tokens ?? 0), capScores = Math.Max(scores, _ws?.Scores ?? 0);
            bool all = keepAll || _ws?.KeepsAll == true, drop = dropout || _ws?.LoraDropout == true;
            _ws?.Dispose();
            _ws = new Workspace(Config, capTokens, capScores, all, loraRank, drop, targets);
        }
        return _ws;
    }

    public void Dispose() => _ws?.Dispose();

    /// <summary>Per-layer saved activations.</summary>
    internal sealed class LayerActs
    {
        public float* Xn1, Rstd1, Q, K, V, Probs, AttOut, Mid, Xn2, Rstd2, Gate, Up, Act;
        /// <summary>Per projection (index in LoraAdapters.LayerProjections): the adapter's input after dropout, x·Aᵀ, and the dropout mask.</summary>
        public readonly float*[] LoraX = new float*[7], LoraU = new float*[7];
        public readonly byte*[] LoraMask = new byte*[7];
    }

    /// <summary>
    /// Activation and gradient buffers for up to <see cref="Tokens"/> rows. Inference keeps one layer slot (reused by every
    /// layer) and two residual slots; training keeps every layer's activations for the backward pass.
    /// </summary>
    internal sealed class Workspace : IDisposable
    {
        public readonly NativeBuffers Buffers = new();
        /// <summary>Capacity: rows (b·t, or fewer when packed) and attention scores per head (Σ tᵢ²).</summary>
        public readonly long Tokens, Scores;
        public readonly int LoraRank;
        public readonly bool KeepsAll, LoraDropout;
        public readonly IReadOnlyList<string> LoraTargets;
        /// <summary>The current batch's rows, within the capacity.</summary>
        public PackedBatch? Batch;
        /// <summary>The positions a read-positions pass computes in its last layer (one per sequence) and their rows; null for all.</summary>
        public int[]? ReadPositions, ReadRows;
        public bool HasForward;
        /// <summary>Whether the last forward applied LoRA dropout (the backward must match it).</summary>
        public bool DropoutApplied;
        private readonly LayerActs[] _layers;
        private readonly nint[] _resid;
        public readonly float* Hidden, RstdF, ScratchH, ScratchQ, ScratchR, XnQ;
        public readonly float* DResid, DXn, DXnQ, DAttOut, DQ, DK, DV, DGate, DUp, DAct;

        public Workspace(LlamaConfig c, long tokens, long scores, bool keepAll, int loraRank, bool loraDropout, IReadOnlyList<string> loraTargets)
        {
            Tokens = tokens; Scores = scores; KeepsAll = keepAll; LoraRank = loraRank; LoraDropout = loraDropout; LoraTargets = loraTargets;
            long n = tokens;
            int h = c.HiddenSize, qd = c.NumHeads * c.HeadDim, kd = c.NumKvHeads * c.HeadDim, im = c.IntermediateSize;
            var adapted = loraTargets.Select(LoraAdapters.IndexOf).ToArray();
            int slots = keepAll ? c.NumLayers : 1;
            var m = Buffers;
            _layers = new LayerActs[slots];
            for (int l = 0; l < slots; l++)
            {
                var a = new LayerActs
                {
                    Xn1 = m.Floats(n * h), Rstd1 = m.Floats(n), Q = m.Floats(n * qd), K = m.Floats(n * kd), V = m.Floats(n * kd),
                    Probs = m.Floats(scores * c.NumHeads), AttOut = m.Floats(n * qd), Mid = m.Floats(n * h),
                    Xn2 = m.Floats(n * h), Rstd2 = m.Floats(n), Gate = m.Floats(n * im), Up = m.Floats(n * im), Act = m.Floats(n * im),
                };
                foreach (int p in adapted)
                {
                    a.LoraU[p] = m.Floats(n * loraRank);
                    int inF = LoraAdapters.Shape(c, p).In;
                    if (loraDropout) { a.LoraX[p] = m.Floats(n * inF); a.LoraMask[p] = m.Bytes8(n * inF); }
                }
                _layers[l] = a;
            }
            _resid = new nint[keepAll ? c.NumLayers + 1 : 2];
            for (int i = 0; i < _resid.Length; i++) _resid[i] = (nint)m.Floats(n * h);
            Hidden = m.Floats(n * h); RstdF = m.Floats(n); XnQ = m.Floats(n * h);
            ScratchH = m.Floats(n * Math.Max(h, Math.Max(qd, im)));
            ScratchQ = m.Floats(n * adapted.Select(p => LoraAdapters.Shape(c, p).Out).Append(Math.Max(qd, kd)).Max()); // LoRA's [n, out] scratch
            ScratchR = m.Floats(n * Math.Max(loraRank, 1));
            if (keepAll)
            {
                DResid = m.Floats(n * h); DXn = m.Floats(n * h); DXnQ = m.Floats(n * h); DAttOut = m.Floats(n * qd);
                DQ = m.Floats(n * qd); DK = m.Floats(n * kd); DV = m.Floats(n * kd);
                DGate = m.Floats(n * im); DUp = m.Floats(n * im); DAct = m.Floats(n * im);
            }
        }

        public LayerActs Layer(int l) => _layers[KeepsAll ? l : 0];
        public float* Resid(int i) => (float*)_resid[KeepsAll ? i : i % 2];
        public void Dispose() => Buffers.Dispose();
    }
}
