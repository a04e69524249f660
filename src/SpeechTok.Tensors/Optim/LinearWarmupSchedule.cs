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

    /// <summary>HF's warm-up step count for a ratio: ceil(ratio · total).</summary>
    public static int WarmupFromRatio(double ratio, int totalSteps) => (int)Math.Ceiling(ratio * totalSteps);

    public double Factor(long step)
    {
        if (step < WarmupSteps) return (double)step / Math.Max(1, WarmupSteps);
        return Math.Max(0.0, (double)(TotalSteps - step) / Math.Max(1, TotalSteps - WarmupSteps));
    }

    public double LrAt(long step) => PeakLr * Factor(step);
}
