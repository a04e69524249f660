namespace SpeechTok.Experiments.Report;

/// <summary>A step's wall time over every run that worked on it; <paramref name="Attempts"/> above 1: runs killed or failed during it, then resumed.</summary>
public sealed record Timing(string Step, double Seconds, int Attempts = 1, bool Finished = true);
