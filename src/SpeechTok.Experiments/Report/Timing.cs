namespace SpeechTok.Experiments.Report;

public sealed record Timing(string Step, double Seconds);
