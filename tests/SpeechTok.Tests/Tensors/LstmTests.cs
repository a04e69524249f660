using SpeechTok.Tensors.Ops;

namespace SpeechTok.Tests.Tensors;

public sealed unsafe class LstmTests
{
    private static float[] Random(Random r, int n) => Enumerable.Range(0, n).Select(_ => (float)(r.NextDouble() - 0.5)).ToArray();

    /// <summary>torch.nn.LSTM in float64 for one direction of one layer: x [T, B, in] -> h [T, B, H].</summary>
    private static double[] Naive(double[] x, int steps, int batch, int inSize, LstmWeights w, bool reverse)
    {
        int h = w.Hidden;
        var y = new double[steps * batch * h];
        for (int b = 0; b < batch; b++)
        {
            var hs = new double[h];
            var cs = new double[h];
            for (int s = 0; s < steps; s++)
            {
                int t = reverse ? steps - 1 - s : s;
                var g = new double[4 * h];
                for (int r = 0; r < 4 * h; r++)
                {
                    double v = w.Bias[r];
                    for (int i = 0; i < inSize; i++) v += w.WeightIh[r * inSize + i] * x[(t * batch + b) * inSize + i];
                    for (int i = 0; i < h; i++) v += w.WeightHh[r * h + i] * hs[i];
                    g[r] = v;
                }
                static double Sig(double v) => 1 / (1 + Math.Exp(-v));
                for (int j = 0; j < h; j++)
                {
                    cs[j] = Sig(g[h + j]) * cs[j] + Sig(g[j]) * Math.Tanh(g[2 * h + j]);
                    hs[j] = Sig(g[3 * h + j]) * Math.Tanh(cs[j]);
                    y[(t * batch + b) * h + j] = hs[j];
                }
            }
        }
        return y;
    }

    [Theory]
    [InlineData(1, false, 3)]
    [InlineData(2, false, 3)]
    [InlineData(2, true, 3)]
    [InlineData(3, true, 1)]
    [InlineData(2, true, 37)] // several recurrent row groups
    public void MatchesNaiveMultiLayerLstm(int numLayers, bool bidirectional, int batch)
    {
        const int steps = 7, inSize = 5, hidden = 4;
        var r = new Random(numLayers * 10 + (bidirectional ? 1 : 0));
        int dirs = bidirectional ? 2 : 1;
        var layers = new List<LstmWeights[]>();
        for (int l = 0; l < numLayers; l++)
        {
            int li = l == 0 ? inSize : hidden * dirs;
            layers.Add(Enumerable.Range(0, dirs).Select(_ => new LstmWeights(Random(r, 4 * hidden * li), Random(r, 4 * hidden * hidden), Random(r, 4 * hidden), li, hidden)).ToArray());
        }
        var x = Random(r, steps * batch * inSize).Select(v => v * 4).ToArray();
        var y = new float[steps * batch * hidden * dirs];
        fixed (float* px = x, py = y) Lstm.Forward(px, steps, batch, layers, py);

        var cur = x.Select(v => (double)v).ToArray();
        int curIn = inSize;
        foreach (var layer in layers)
        {
            var next = new double[steps * batch * hidden * dirs];
            for (int d = 0; d < dirs; d++)
            {
                var o = Naive(cur, steps, batch, curIn, layer[d], d == 1);
                for (int tb = 0; tb < steps * batch; tb++)
                    for (int j = 0; j < hidden; j++) next[tb * hidden * dirs + d * hidden + j] = o[tb * hidden + j];
            }
            cur = next;
            curIn = hidden * dirs;
        }
        for (int i = 0; i < y.Length; i++) Assert.Equal(cur[i], y[i], 1e-5);
    }
}
