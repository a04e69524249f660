using SpeechTok.IO;
using System.Globalization;
using System.Text;

namespace SpeechTok.Experiments.Report;

public sealed record PlotLink(string Caption, string RelativePath);
