namespace SpeechTok.Tensors.Ops;

/// <summary>LSTM inference like torch.nn.LSTM (zero initial state, time-major input, directions concatenated).</summary>
public static unsafe class Lstm
{
    /// <summary>
    /// x is [T, B, layers[0][*].InputSize]; each layer holds 1 (forward) or 2 (forward, reverse) directions;
    /// y is [T, B, H · directions of the last layer].
    /// </summary>
    public static void Forward(float* x, int steps, int batch, IReadOnlyList<LstmWeights[]> layers, float* y)
    {
        float[]? input = null;
        for (int l = 0; l < layers.Count; l++)
        {
            var dirs = layers[l];
            int hidden = dirs[0].Hidden, width = hidden * dirs.Length, rows = steps * batch;
            bool last = l == layers.Count - 1;
            var output = last ? null : new float[(long)rows * width];
            // Input projections of every step at once (large GEMMs on all threads), then the recurrences: the
            // directions are independent, so each runs on its own thread with no per-step synchronisation.
            var gates = new float[dirs.Length][];
            fixed (float* inp = input)
            {
                float* src = l == 0 ? x : inp;
                for (int d = 0; d < dirs.Length; d++)
                {
                    var w = dirs[d];
                    int g4 = 4 * w.Hidden;
                    gates[d] = GC.AllocateUninitializedArray<float>(rows * g4, pinned: true);
                    fixed (float* g = gates[d], wih = w.WeightIh, bias = w.Bias)
                    {
                        for (int r = 0; r < rows; r++) new ReadOnlySpan<float>(bias, g4).CopyTo(new Span<float>(g + (long)r * g4, g4));
                        Gemm.Sgemm(false, true, rows, g4, w.InputSize, 1f, src, w.InputSize, wih, w.InputSize, 1f, g, g4);
                    }
                }
            }
            int inner = Math.Max(1, Threading.Threads / dirs.Length);
            fixed (float* outp = output)
            {
                nint dstAddr = (nint)(last ? y : outp);
                Threading.For(dirs.Length, d => Recur(gates[d], steps, batch, dirs[d], reverse: d == 1, (float*)dstAddr + d * hidden, width, inner));
            }
            input = output;
        }
    }

    /// <summary>
    /// Runs one direction over precomputed input gates; writes h_t to dst[t, b, 0..H) (row stride <paramref name="ldDst"/>).
    /// The recurrent product runs in groups of batch rows small enough for the GEMM's skinny (GEMV-like) form,
    /// which streams weight_hh once per group without packing it.
    /// </summary>
    private static void Recur(float[] gates, int steps, int batch, LstmWeights w, bool reverse, float* dst, int ldDst, int threads)
    {
        int h = w.Hidden, g4 = 4 * h, group = Math.Max(4, GemmPlan.Default.SkinnyMax);
        var state = new float[2 * batch * h]; // h then c
        fixed (float* g = gates, whh = w.WeightHh, hs = state)
        {
            float* cs = hs + batch * h;
            for (int s = 0; s < steps; s++)
            {
                int t = reverse ? steps - 1 - s : s;
                float* gt = g + (long)t * batch * g4;
                if (s > 0)
                    for (int b0 = 0; b0 < batch; b0 += group)
                        GemmDriver<F32Element>.Run(GemmPlan.Default, false, true, Math.Min(group, batch - b0), g4, h, 1f,
                            hs + b0 * h, h, whh, h, 1f, gt + b0 * g4, g4, threads);
                for (int b = 0; b < batch; b++)
                {
                    float* gb = gt + b * g4, hb = hs + b * h, cb = cs + b * h, ob = dst + ((long)t * batch + b) * ldDst;
                    for (int j = 0; j < h; j++)
                    {
                        float i = Sigmoid(gb[j]), f = Sigmoid(gb[h + j]), gg = MathF.Tanh(gb[2 * h + j]), o = Sigmoid(gb[3 * h + j]);
                        float c = f * cb[j] + i * gg;
                        cb[j] = c;
                        ob[j] = hb[j] = o * MathF.Tanh(c);
                    }
                }
            }
        }
    }

    private static float Sigmoid(float v) => 1f / (1f + MathF.Exp(-v));
}
