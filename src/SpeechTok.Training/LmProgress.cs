namespace SpeechTok.Training;

/// <summary>State after an optimizer step, for progress display: tokens/s over this session's training steps, ETA from its wall time per step.</summary>
public sealed record LmProgress(long Step, long TotalSteps, double Loss, double Lr, double GradNorm, long TokensSeen, double TokensPerSecond, TimeSpan Eta, LmEvalResult? Eval);
