namespace SpeechTok.Codec.SpeechTokenizer;

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
