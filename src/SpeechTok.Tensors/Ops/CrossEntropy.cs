using System.Numerics.Tensors;

namespace SpeechTok.Tensors.Ops;

/// <summary>
/// Cross-entropy over logits [n, c] with integer targets, torch semantics: optional class weights
/// (mean = Σ w_y·nll / Σ w_y) and an ignore index (−100) whose rows contribute neither loss nor weight.
/// The forward returns the weighted sum and the weight sum so callers can normalise over gradient
/// accumulation (HF num_items_in_batch) instead of averaging means.
/// </summary>
public static unsafe class CrossEntropy
{
    public const int IgnoreIndex = -100;

    public static (double Sum, double WeightSum) Forward(float* logits, ReadOnlySpan<int> targets, ReadOnlySpan<float> classWeights, int n, int c)
    {
        Check(targets, classWeights, n, c);
        var sums = new double[n];
        var wsums = new double[n];
        nint lp = (nint)logits;
        int[] tg = targets.ToArray();
        float[]? cw = classWeights.IsEmpty ? null : classWeights.ToArray();
        Threading.ForRange(n, 1, (s, e) =>
        {
            for (int i = s; i < e; i++)
            {
                int y = tg[i];
                if (y == IgnoreIndex) continue;
                var row = new ReadOnlySpan<float>((float*)lp + (long)i * c, c);
                float w = cw == null ? 1f : cw[y];
                sums[i] = (double)w * (Softmax.LogSumExp(row) - row[y]);
                wsums[i] = w;
            }
        });
        return (sums.Sum(), wsums.Sum());
    }

    /// <summary>
    /// Writes (not accumulates) dLogits = dSum·w_y·(softmax − onehot_y), zero on ignored rows, where dSum is
    /// ∂L/∂(weighted sum) — 1/weightSum for the mean. dLogits may alias logits (in place).
    /// </summary>
    public static void Backward(float* dLogits, float* logits, ReadOnlySpan<int> targets, ReadOnlySpan<float> classWeights, int n, int c, float dSum)
    {
        Check(targets, classWeights, n, c);
        nint lp = (nint)logits, dp = (nint)dLogits;
        int[] tg = targets.ToArray();
        float[]? cw = classWeights.IsEmpty ? null : classWeights.ToArray();
        Threading.ForRange(n, 1, (s, e) =>
        {
            for (int i = s; i < e; i++)
            {
                int y = tg[i];
                var row = new ReadOnlySpan<float>((float*)lp + (long)i * c, c);
                var drow = new Span<float>((float*)dp + (long)i * c, c);
                if (y == IgnoreIndex) { drow.Clear(); continue; }
                float g = dSum * (cw == null ? 1f : cw[y]);
                float lse = Softmax.LogSumExp(row);
                TensorPrimitives.Subtract(row, lse, drow);
                TensorPrimitives.Exp(drow, drow);
                TensorPrimitives.Multiply(drow, g, drow);
                drow[y] -= g;
            }
        });
    }

    private static void Check(ReadOnlySpan<int> targets, ReadOnlySpan<float> classWeights, int n, int c)
    {
        if (targets.Length != n) throw ShapeMismatchException.Of("cross-entropy targets vs logits rows", [targets.Length], [n, c]);
        if (!classWeights.IsEmpty && classWeights.Length != c) throw ShapeMismatchException.Of("cross-entropy class weights vs logits", [classWeights.Length], [n, c]);
        for (int i = 0; i < n; i++)
            if (targets[i] != IgnoreIndex && (uint)targets[i] >= (uint)c)
                throw new SpeechTokException($"cross-entropy target {targets[i]} at row {i} is outside [0, {c}) (and not the ignore index {IgnoreIndex})");
    }
}
