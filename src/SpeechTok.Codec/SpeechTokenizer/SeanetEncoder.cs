using SpeechTok.Tensors.Ops;

namespace SpeechTok.Codec.SpeechTokenizer;

/// <summary>One batch item between layers: row-major [Channels, Length].</summary>
internal readonly record struct Signal(float[] Data, int Channels, int Length);

/// <summary>ELU(α) or per-channel Snake, applied in place.</summary>
internal sealed unsafe class Activation(float eluAlpha, float[]? snakeAlpha)
{
    public static Activation Load(SpeechTokenizerConfig cfg, CheckpointWeights w, string prefix, int channels) =>
        cfg.IsSnake ? new Activation(0, w.Get(prefix + ".alpha", 1, channels, 1)) : new Activation(cfg.EluAlpha, null);

    public void Apply(float[] data, int channels, int length)
    {
        fixed (float* p = data)
        {
            if (snakeAlpha == null) CodecActivations.Elu(p, (long)channels * length, eluAlpha);
            else fixed (float* a = snakeAlpha) CodecActivations.Snake(p, channels, length, a);
        }
    }
}

/// <summary>
/// SEANet's SConv1d: a weight-normed Conv1d that pads its input itself so that a stride-s layer maps length L
/// to ceil(L / s): total padding (k−1)·d − (s−1), the odd sample on the left (non-causal) or all of it on the left
/// (causal), plus extra right padding so that the last window is full. An optional activation runs on the padded input (it maps 0 to 0, so
/// activating after zero/reflect padding equals padding after activating).
/// </summary>
internal sealed unsafe class SConv
{
    private readonly float[] _w, _b;
    private readonly int _cin, _cout, _k, _stride, _dilation;
    private readonly bool _causal;
    private readonly PadMode _mode;

    private SConv(float[] w, float[] b, int cin, int cout, int k, int stride, int dilation, bool causal, PadMode mode)
    {
        (_w, _b, _cin, _cout, _k, _stride, _dilation, _causal, _mode) = (w, b, cin, cout, k, stride, dilation, causal, mode);
    }

    public int OutChannels => _cout;

    /// <summary>Loads <c>prefix.conv.conv.{weight_g, weight_v | weight, bias}</c>, folding weight norm: w = g · v / ‖v‖ per output channel.</summary>
    public static SConv Load(SpeechTokenizerConfig cfg, CheckpointWeights w, string prefix, int cin, int cout, int k, int stride = 1, int dilation = 1)
    {
        string p = prefix + ".conv.conv.";
        float[] weight;
        if (cfg.WeightNorm)
        {
            var g = w.Get(p + "weight_g", cout, 1, 1);
            weight = w.Get(p + "weight_v", cout, cin, k);
            int row = cin * k;
            for (int o = 0; o < cout; o++)
            {
                var v = weight.AsSpan(o * row, row);
                double ss = 0;
                foreach (var x in v) ss += (double)x * x;
                float scale = (float)(g[o] / Math.Sqrt(ss));
                for (int i = 0; i < row; i++) v[i] *= scale;
            }
        }
        else weight = w.Get(p + "weight", cout, cin, k);
        return new SConv(weight, w.Get(p + "bias", cout), cin, cout, k, stride, dilation, cfg.Causal, cfg.PadMode);
    }

    /// <summary>Output frames for an input of <paramref name="length"/>: ceil(length / stride) for the SEANet kernels.</summary>
    private (int Left, int Right) Padding(int length)
    {
        int total = (_k - 1) * _dilation - (_stride - 1);
        // The original computes the frame count in floating point: n = (L − k + total) / s + 1.
        double frames = (double)(length - _k + total) / _stride + 1;
        int ideal = ((int)Math.Ceiling(frames) - 1) * _stride + (_k - total);
        int extra = ideal - length;
        return _causal ? (total, extra) : (total - total / 2, total / 2 + extra);
    }

    /// <param name="pre">activation applied to the input first</param>
    /// <param name="inputIsScratch">the input may be overwritten (else it is copied before an in-place activation)</param>
    public Signal Apply(Signal x, Activation? pre, bool inputIsScratch, int threads)
    {
        if (x.Channels != _cin) throw new InvalidOperationException($"conv expects {_cin} channels, got {x.Channels}");
        var (left, right) = Padding(x.Length);
        float[] input = x.Data;
        int len = x.Length;
        if (left != 0 || right != 0)
        {
            len = x.Length + left + right;
            input = GC.AllocateUninitializedArray<float>(_cin * len);
            fixed (float* src = x.Data, dst = input) Conv1d.Pad(src, _cin, x.Length, left, right, _mode, dst);
        }
        else if (pre != null && !inputIsScratch) input = (float[])x.Data.Clone();
        pre?.Apply(input, _cin, len);
        int lout = Conv1d.OutputLength(len, _k, _stride, _dilation);
        var y = GC.AllocateUninitializedArray<float>(_cout * lout);
        fixed (float* px = input, pw = _w, pb = _b, py = y)
            Conv1d.Forward(px, _cin, len, pw, pb, _cout, _k, _stride, _dilation, py, threads);
        return new Signal(y, _cout, lout);
    }
}

/// <summary>SEANetResnetBlock: shortcut(x) + [act, conv(k, dilation), act, conv(1)](x), hidden width dim / compress.</summary>
internal sealed class ResBlock(Activation act0, SConv conv0, Activation act1, SConv conv1, SConv? shortcut)
{
    public static ResBlock Load(SpeechTokenizerConfig cfg, CheckpointWeights w, string prefix, int dim, int dilation)
    {
        int hidden = dim / cfg.Compress;
        return new ResBlock(
            Activation.Load(cfg, w, prefix + ".block.0", dim),
            SConv.Load(cfg, w, prefix + ".block.1", dim, hidden, cfg.ResidualKernelSize, 1, dilation),
            Activation.Load(cfg, w, prefix + ".block.2", hidden),
            SConv.Load(cfg, w, prefix + ".block.3", hidden, dim, 1),
            cfg.TrueSkip ? null : SConv.Load(cfg, w, prefix + ".shortcut", dim, dim, 1));
    }

    public Signal Apply(Signal x, int threads)
    {
        var h = conv0.Apply(x, act0, inputIsScratch: false, threads);
        var y = conv1.Apply(h, act1, inputIsScratch: true, threads);
        var s = shortcut?.Apply(x, null, false, threads) ?? x;
        var yd = y.Data;
        var sd = s.Data;
        for (int i = 0; i < yd.Length; i++) yd[i] += sd[i];
        return y;
    }
}

/// <summary>SLSTM: a multi-layer (Bi)LSTM over time plus the input as a skip (repeated for both directions).</summary>
internal sealed unsafe class SLstm(List<LstmWeights[]> layers, int dim, int directions)
{
    public int OutChannels => dim * directions;

    public static SLstm Load(SpeechTokenizerConfig cfg, CheckpointWeights w, string prefix, int dim)
    {
        int dirs = cfg.Bidirectional ? 2 : 1;
        var layers = new List<LstmWeights[]>();
        for (int l = 0; l < cfg.LstmLayers; l++)
        {
            int inSize = l == 0 ? dim : dim * dirs;
            layers.Add(Enumerable.Range(0, dirs).Select(d =>
            {
                string s = $"{prefix}.lstm.{{0}}_l{l}{(d == 1 ? "_reverse" : "")}";
                var bias = w.Get(string.Format(s, "bias_ih"), 4 * dim);
                var bhh = w.Get(string.Format(s, "bias_hh"), 4 * dim);
                for (int i = 0; i < bias.Length; i++) bias[i] += bhh[i];
                return new LstmWeights(w.Get(string.Format(s, "weight_ih"), 4 * dim, inSize), w.Get(string.Format(s, "weight_hh"), 4 * dim, dim), bias, inSize, dim);
            }).ToArray());
        }
        return new SLstm(layers, dim, directions: dirs);
    }

    /// <summary>Items of equal length run as one LSTM batch (the recurrent GEMMs get B rows instead of 1).</summary>
    public void Apply(Signal[] batch)
    {
        foreach (var group in Enumerable.Range(0, batch.Length).GroupBy(i => batch[i].Length))
        {
            var items = group.ToArray();
            int steps = group.Key, b = items.Length, width = OutChannels;
            var x = new float[(long)steps * b * dim];
            for (int bi = 0; bi < b; bi++)
            {
                var src = batch[items[bi]].Data;
                for (int c = 0; c < dim; c++)
                    for (int t = 0; t < steps; t++) x[((long)t * b + bi) * dim + c] = src[c * steps + t];
            }
            var y = new float[(long)steps * b * width];
            fixed (float* px = x, py = y) Lstm.Forward(px, steps, b, layers, py);
            for (int bi = 0; bi < b; bi++)
            {
                var dst = new float[width * steps];
                for (int t = 0; t < steps; t++)
                {
                    long row = ((long)t * b + bi) * width, xrow = ((long)t * b + bi) * dim;
                    for (int j = 0; j < width; j++) dst[j * steps + t] = y[row + j] + x[xrow + j % dim];
                }
                batch[items[bi]] = new Signal(dst, width, steps);
            }
        }
    }
}

/// <summary>
/// The SEANet encoder of SpeechTokenizer (encoder.model.*): conv(k7) → per stride s (in reverse config order):
/// residual blocks, act, conv(2s, stride s) doubling the channels → SLSTM → act → conv(k7) to <c>dimension</c>.
/// </summary>
internal sealed class SeanetEncoder
{
    private readonly SConv _first;
    private readonly List<(ResBlock[] Blocks, Activation Act, SConv Down)> _stages = new();
    private readonly SLstm? _lstm;
    private readonly Activation _lastAct;
    private readonly SConv _last;

    public SeanetEncoder(SpeechTokenizerConfig cfg, CheckpointWeights w)
    {
        int idx = 0, ch = cfg.NFilters;
        string P(int i) => $"encoder.model.{i}";
        _first = SConv.Load(cfg, w, P(idx++), 1, ch, cfg.KernelSize);
        foreach (int ratio in cfg.Strides.Reverse())
        {
            var blocks = new ResBlock[cfg.NResidualLayers];
            for (int j = 0; j < blocks.Length; j++)
                blocks[j] = ResBlock.Load(cfg, w, P(idx++), ch, checked((int)Math.Pow(cfg.DilationBase, j)));
            var act = Activation.Load(cfg, w, P(idx++), ch);
            _stages.Add((blocks, act, SConv.Load(cfg, w, P(idx++), ch, 2 * ch, 2 * ratio, ratio)));
            ch *= 2;
        }
        if (cfg.LstmLayers > 0)
        {
            _lstm = SLstm.Load(cfg, w, P(idx++), ch);
            ch = _lstm.OutChannels;
        }
        _lastAct = Activation.Load(cfg, w, P(idx++), ch);
        _last = SConv.Load(cfg, w, P(idx), ch, cfg.Dimension, cfg.LastKernelSize);
    }

    /// <summary>Encodes each waveform to its [dimension, frames] features.</summary>
    public Signal[] Forward(IReadOnlyList<float[]> wavs)
    {
        var batch = new Signal[wavs.Count];
        for (int i = 0; i < batch.Length; i++) batch[i] = new Signal(wavs[i], 1, wavs[i].Length);
        PerItem(batch, Convs);
        _lstm?.Apply(batch);
        PerItem(batch, (x, threads) => _last.Apply(x, _lastAct, inputIsScratch: true, threads));
        return batch;
    }

    /// <summary>
    /// With at least as many clips as threads, clips run in parallel with one-thread kernels (no synchronisation
    /// inside a layer); otherwise one clip at a time with every thread in each kernel.
    /// </summary>
    private static void PerItem(Signal[] batch, Func<Signal, int, Signal> f)
    {
        int threads = Tensors.Threading.Threads;
        if (batch.Length >= threads && threads > 1)
            Parallel.For(0, batch.Length, new ParallelOptions { MaxDegreeOfParallelism = threads }, i => batch[i] = f(batch[i], 1));
        else
            for (int i = 0; i < batch.Length; i++) batch[i] = f(batch[i], threads);
    }

    private Signal Convs(Signal x, int threads)
    {
        x = _first.Apply(x, null, false, threads);
        foreach (var (blocks, act, down) in _stages)
        {
            foreach (var b in blocks) x = b.Apply(x, threads);
            x = down.Apply(x, act, inputIsScratch: true, threads);
        }
        return x;
    }
}
