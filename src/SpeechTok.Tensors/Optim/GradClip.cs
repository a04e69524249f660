namespace SpeechTok.Tensors.Optim;

/// <summary>Global gradient-norm clipping as torch.nn.utils.clip_grad_norm_ (L2 norm, error_if_nonfinite off).</summary>
public static class GradClip
{
    /// <summary>L2 norm over all parameters' gradients together (accumulated in double).</summary>
    public static double GlobalNorm(IEnumerable<Parameter> parameters)
    {
        double sq = 0;
        foreach (var p in parameters)
            foreach (float g in p.Grad.ReadOnlySpan) sq += (double)g * g;
        return Math.Sqrt(sq);
    }

    /// <summary>
    /// Scales every gradient by min(1, maxNorm/(norm + 1e-6)) and returns the norm before clipping.
    /// A non-finite norm propagates into the gradients, as in torch; the caller decides whether to skip the step.
    /// </summary>
    public static double ClipGradNorm(IReadOnlyCollection<Parameter> parameters, double maxNorm)
    {
        if (!(maxNorm > 0)) throw new SpeechTokException($"max_grad_norm must be positive, got {maxNorm}");
        double norm = GlobalNorm(parameters);
        double coef = maxNorm / (norm + 1e-6);
        if (coef < 1 || double.IsNaN(coef)) Scale(parameters, coef);
        return norm;
    }

    /// <summary>Multiplies every gradient by <paramref name="factor"/>.</summary>
    public static void Scale(IEnumerable<Parameter> parameters, double factor)
    {
        float f = (float)factor;
        foreach (var p in parameters)
        {
            var g = p.Grad.Span;
            for (int i = 0; i < g.Length; i++) g[i] *= f;
        }
    }
}
