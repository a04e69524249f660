using SpeechTok.IO;
using System.Globalization;
using System.Text;

namespace SpeechTok.Experiments.Report;

public sealed record Timing(string Step, double Seconds);
