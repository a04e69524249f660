namespace SpeechTok.Codec.SpeechTokenizer;

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
