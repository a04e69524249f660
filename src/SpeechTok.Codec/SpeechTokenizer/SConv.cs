using SpeechTok.Tensors.Ops;

namespace SpeechTok.Codec.SpeechTokenizer;

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
