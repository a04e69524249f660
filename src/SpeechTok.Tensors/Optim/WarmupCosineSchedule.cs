namespace SpeechTok.Tensors.Optim;

/// <summary>
/// Learning rate for LM pre-training (nanoGPT's <c>get_lr</c>): linear warm-up to <c>peak</c> over
/// <c>warmup</c> steps (step s, 0-based, gets peak·(s+1)/warmup, so the first update is not wasted at 0),
/// then a half cosine from peak down to <c>min</c> at step <c>total</c>, and <c>min</c> afterwards.
/// </summary>
public sealed class WarmupCosineSchedule
{
    public double PeakLr { get; }
    public double MinLr { get; }
    public int WarmupSteps { get; }
    public int TotalSteps { get; }

    public WarmupCosineSchedule(double peakLr, double minLr, int warmupSteps, int totalSteps)
    {
        if (warmupSteps < 0 || totalSteps < 1) throw new SpeechTokException($"schedule: warm-up {warmupSteps} must be non-negative and total {totalSteps} positive");
        if (!(peakLr > 0) || !(minLr >= 0) || minLr > peakLr) throw new SpeechTokException($"schedule: need 0 ≤ min lr ({minLr}) ≤ peak lr ({peakLr}) and peak > 0");
        PeakLr = peakLr;
        MinLr = minLr;
        WarmupSteps = warmupSteps;
        TotalSteps = totalSteps;
    }

    /// <summary>The rate of the update that follows <paramref name="step"/> updates already taken.</summary>
    public double LrAt(long step)
    {
        if (step < WarmupSteps) return PeakLr * (step + 1) / WarmupSteps;
        double progress = Math.Min(1.0, (double)(step - WarmupSteps) / Math.Max(1, TotalSteps - WarmupSteps));
        return MinLr + 0.5 * (1 + Math.Cos(Math.PI * progress)) * (PeakLr - MinLr);
    }
}
