namespace SpeechTok.Tensors.Ops;

/// <summary>Multi-label BCE-with-logits, torch mean reduction over all n·c elements; targets in [0, 1].</summary>
public static unsafe class BceWithLogits
{
    public static double Forward(float* logits, float* targets, int count)
    {
        double s = 0;
        for (int i = 0; i < count; i++)
        {
            float x = logits[i];
            s += Math.Max(x, 0) - x * targets[i] + Math.Log(1 + Math.Exp(-Math.Abs(x)));
        }
        return s / count;
    }

    /// <summary>dLogits += dLoss·(σ(x) − y)/count.</summary>
    public static void Backward(float* dLogits, float* logits, float* targets, int count, float dLoss = 1f)
    {
        float k = dLoss / count;
        for (int i = 0; i < count; i++) dLogits[i] += k * (1f / (1f + MathF.Exp(-logits[i])) - targets[i]);
    }
}
