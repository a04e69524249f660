using SpeechTok.Tensors.Ops;

namespace SpeechTok.Codec.SpeechTokenizer;

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
