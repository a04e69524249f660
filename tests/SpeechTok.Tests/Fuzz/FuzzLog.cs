using Xunit.Abstractions;
using Xunit.Sdk;

namespace SpeechTok.Tests.Fuzz;

/// <summary>
/// Sends the fuzz tests' case counts to xunit's diagnostic sink (enabled in xunit.runner.json), so that they
/// appear in the console output of every run, passing or not; the test's own output gets them too.
/// </summary>
public sealed class FuzzLog(IMessageSink sink)
{
    public void Report(ITestOutputHelper output, string line)
    {
        output.WriteLine(line);
        sink.OnMessage(new DiagnosticMessage(line));
    }
}
