using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace SpeechTok.Training;

/// <summary>
/// Writes <see cref="TrainingProgress"/> as one line each, in the form
/// <c>[seed S ][epoch E/N ]step s/S: loss L, lr X, grad norm G, T tokens/s, ETA 2m10s</c>, throttled so that a short run
/// (the tests, the demo) prints almost nothing and a long one stays readable in a log file: a line when the interval has
/// passed since the last one (seeds together) or since the printer was made, at the end of an epoch in which its seed
/// already printed a line (so that a long epoch's count closes), and at the run's last step. Thread-safe: seeds that
/// train at once share one printer.
/// </summary>
public sealed class ProgressPrinter
{
    /// <summary>The interval of <see cref="Stderr"/> on a terminal, and when stderr goes to a file or a pipe (a log read later).</summary>
    public static readonly TimeSpan TerminalInterval = TimeSpan.FromSeconds(5), RedirectedInterval = TimeSpan.FromSeconds(30);

    private readonly Action<string> _write;
    private readonly TimeSpan _interval;
    private readonly Func<TimeSpan> _clock;
    private readonly Lock _gate = new();
    private readonly HashSet<(int? Seed, int Epoch)> _printedIn = [];
    private TimeSpan _last;

    /// <param name="write">Where a line goes.</param>
    /// <param name="interval">The least time between two lines, but for the ends of epochs and runs.</param>
    /// <param name="clock">Monotonic time (a test's fake clock); by default a <see cref="Stopwatch"/> started now.</param>
    public ProgressPrinter(Action<string> write, TimeSpan interval, Func<TimeSpan>? clock = null)
    {
        if (clock == null)
        {
            var sw = Stopwatch.StartNew();
            clock = () => sw.Elapsed;
        }
        (_write, _interval, _clock) = (write, interval, clock);
        _last = clock(); // the first line waits an interval too: a run that loads and trains quickly says nothing
    }

    /// <summary>
    /// A printer to stderr: every <see cref="TerminalInterval"/> on a terminal, every <see cref="RedirectedInterval"/> when
    /// stderr is redirected, so that a log file of a long run gets a line a few times a minute.
    /// </summary>
    public static ProgressPrinter Stderr() => new(Console.Error.WriteLine, Console.IsErrorRedirected ? RedirectedInterval : TerminalInterval);

    /// <summary>Writes <paramref name="p"/>'s line when it is due (see the class).</summary>
    public void Report(TrainingProgress p)
    {
        lock (_gate)
        {
            var now = _clock();
            var epoch = (p.Seed, p.Epoch);
            if (now - _last < _interval && !p.EndsRun && !(p.EndsEpoch && _printedIn.Contains(epoch))) return;
            _last = now;
            if (p.EndsEpoch) _printedIn.Remove(epoch);
            else _printedIn.Add(epoch);
            _write(Line(p));
        }
    }

    /// <summary>The line of <paramref name="p"/> (see the class).</summary>
    internal static string Line(TrainingProgress p)
    {
        var line = new StringBuilder();
        if (p.Seed is int seed) line.Append(CultureInfo.InvariantCulture, $"seed {seed} ");
        if (p.Epochs > 0) line.Append(CultureInfo.InvariantCulture, $"epoch {p.Epoch}/{p.Epochs} ");
        line.Append(CultureInfo.InvariantCulture,
            $"step {p.Step}/{p.Steps}: loss {p.Loss:F4}, lr {p.Lr:g3}, grad norm {p.GradNorm:F3}, {p.TokensPerSecond:N0} tokens/s, ETA {Duration(p.Eta)}");
        return line.ToString();
    }

    /// <summary>42s, 2m10s, 3h05m (hours keep counting past a day: a long fine-tuning run may take days).</summary>
    internal static string Duration(TimeSpan t)
    {
        long s = (long)Math.Round(Math.Max(0, t.TotalSeconds));
        return s < 60 ? $"{s}s" : s < 3600 ? $"{s / 60}m{s % 60:00}s" : $"{s / 3600}h{s % 3600 / 60:00}m";
    }
}
