namespace SpeechTok.Experiments.Report;

/// <summary>One sample for the token report: its codes (<c>codes[q][t]</c>, all quantizers), descriptors and, optionally, its class.</summary>
public sealed record TokenReportSample(string Key, int[][] Codes, FrameAcoustics Frames, int? Label = null);
