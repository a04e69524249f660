namespace SpeechTok.Training;

/// <summary>Where a <see cref="TrainingLoop"/> stands: optimizer steps done, best evaluation value and its step, evaluations without improvement since, early stop fired.</summary>
internal sealed record TrainingStatus(long Step, double BestValue, long BestStep, int BadEvals, bool Stopped);
