namespace SpeechTok.Experiments.Report;

public sealed record PlotLink(string Caption, string RelativePath);
