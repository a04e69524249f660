using SpeechTok.Tensors;

namespace SpeechTok.Codec.SpeechTokenizer;

/// <summary>
/// Residual vector quantizer (quantizer.vq.layers.N._codebook.embed [bins, dim]): each layer picks the nearest
/// codebook vector (Euclidean) to the residual and subtracts it.
/// </summary>
internal sealed unsafe class ResidualVq
{
    private readonly float[][] _embed;
    private readonly float[][] _norm2;
    private readonly int _dim, _bins;

    public ResidualVq(SpeechTokenizerConfig cfg, CheckpointWeights w)
    {
        _dim = cfg.Dimension;
        _bins = cfg.CodebookSize;
        _embed = new float[cfg.NQ][];
        _norm2 = new float[cfg.NQ][];
        // As SpeechTokenizer's strict load_state_dict: a checkpoint with more RVQ layers than n_q is another model's config.
        string extra = $"quantizer.vq.layers.{cfg.NQ}._codebook.embed";
        if (!w.IsRandom && w.Contains(extra))
            throw new SpeechTokException($"{w.Path}: the checkpoint holds RVQ layer {cfg.NQ + 1} ('{extra}') but config.json's n_q is {cfg.NQ}; set n_q to the checkpoint's layer count");
        for (int q = 0; q < cfg.NQ; q++)
        {
            _embed[q] = w.Get($"quantizer.vq.layers.{q}._codebook.embed", _bins, _dim);
            _norm2[q] = new float[_bins];
            for (int k = 0; k < _bins; k++)
            {
                float s = 0;
                foreach (var v in _embed[q].AsSpan(k * _dim, _dim)) s += v * v;
                _norm2[q][k] = s;
            }
        }
    }

    /// <summary>codes[item][q][t] for encoder features [dim, T] per item; all frames of the batch share each GEMM.</summary>
    public int[][][] Encode(Signal[] features)
    {
        int total = features.Sum(f => f.Length);
        var residual = new float[(long)total * _dim]; // [frames, dim]
        int off = 0;
        foreach (var f in features)
        {
            if (f.Channels != _dim) throw new InvalidOperationException($"RVQ expects {_dim} channels, got {f.Channels}");
            for (int c = 0; c < _dim; c++)
                for (int t = 0; t < f.Length; t++) residual[(long)(off + t) * _dim + c] = f.Data[c * f.Length + t];
            off += f.Length;
        }
        var codes = new int[_embed.Length][];
        var scores = new float[(long)total * _bins];
        for (int q = 0; q < _embed.Length; q++)
        {
            var idx = codes[q] = new int[total];
            var embed = _embed[q];
            var norm2 = _norm2[q];
            fixed (float* r = residual, e = embed, s = scores)
                Gemm.Sgemm(false, true, total, _bins, _dim, -2f, r, _dim, e, _dim, 0f, s, _bins);
            Threading.ForRange(total, 64, (start, end) =>
            {
                for (int t = start; t < end; t++)
                {
                    int best = idx[t] = NearestCode.ArgMin(scores.AsSpan(t * _bins, _bins), norm2, out _);
                    var rr = residual.AsSpan(t * _dim, _dim);
                    var eb = embed.AsSpan(best * _dim, _dim);
                    for (int c = 0; c < _dim; c++) rr[c] -= eb[c];
                }
            });
        }
        var result = new int[features.Length][][];
        off = 0;
        for (int i = 0; i < features.Length; i++)
        {
            int n = features[i].Length;
            result[i] = codes.Select(c => c.AsSpan(off, n).ToArray()).ToArray();
            off += n;
        }
        return result;
    }
}
