namespace SpeechTok.Training;

/// <summary>End of <c>lm train</c>: the held-out numbers at the last step, steps and tokens trained, wall seconds over all sessions, the folder.</summary>
public sealed record LmTrainResult(LmEvalResult HeldOut, long Steps, long TokensSeen, double Seconds, string Out);
