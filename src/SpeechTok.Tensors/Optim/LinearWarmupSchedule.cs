namespace SpeechTok.Tensors.Optim;

/// <summary>
/// transformers.get_linear_schedule_with_warmup: the factor rises linearly from 0 to 1 over
/// <c>warmup</c> steps, then falls linearly to 0 at <c>total</c> steps (and stays 0).
/// <c>step</c> is the number of optimizer steps already taken, so the first update uses
/// <c>LrAt(0)</c> — which is 0 when there is warm-up, exactly as in the HF Trainer.
/// </summary>
public sealed class LinearWarmupSchedule
{
    public double PeakLr { get; }
    public int WarmupSteps { get; }
    public int TotalSteps { get; }

    public LinearWarmupSchedule(double peakLr, int warmupSteps, int totalSteps)
    {
        if (warmupSteps < 0 || totalSteps < 0) throw new SpeechTokException($"schedule: warm-up {warmupSteps} and total {totalSteps} steps must be non-negative");
        PeakLr = peakLr;
        WarmupSteps = warmupSteps;
        TotalSteps = totalSteps;
    }

    /// <summary>
    /// The schedule for a warm-up ratio: max(1, int(ratio · total)) warm-up steps, as the original scripts compute them
    /// (HF's <c>warmup_ratio</c> rounds up instead, ceil(ratio · total)); a ratio of 0 means no warm-up.
    /// </summary>
    /// <exception cref="SpeechTokException">A ratio outside [0, 1] or a negative total.</exception>
    public static LinearWarmupSchedule FromRatio(double peakLr, double warmupRatio, int totalSteps)
    {
        if (!(warmupRatio >= 0 && warmupRatio <= 1)) throw new SpeechTokException($"schedule: warm-up ratio {warmupRatio} must be in [0, 1]");
        return new LinearWarmupSchedule(peakLr, warmupRatio == 0 ? 0 : Math.Max(1, (int)(warmupRatio * totalSteps)), totalSteps);
    }

    public double Factor(long step)
    {
        if (step < WarmupSteps) return (double)step / Math.Max(1, WarmupSteps);
        return Math.Max(0.0, (double)(TotalSteps - step) / Math.Max(1, TotalSteps - WarmupSteps));
    }

    public double LrAt(long step) => PeakLr * Factor(step);
}
