using System.Diagnostics;
using SpeechTok.Experiments.Report;

namespace SpeechTok.Experiments.Runner;

/// <summary>
/// Step timings kept in OUT/timings.json (<see cref="StepTimingsFile"/>), so that a resumed run
/// reports the time of every run that worked on the experiment. The file is rewritten atomically when a step starts,
/// every <see cref="FlushEvery"/> while it runs, and when it ends, so a killed run loses at most that much of the step
/// it was in. A step that starts again before it finished (the earlier run was killed or failed during it) counts
/// one more attempt; a finished step that a later run enters again (tokenize re-checks the codes) is not timed, so the
/// seconds of a system recorded in results.json stay the sum of its steps.
/// A step belongs to the system that started it first (<see cref="For{T}"/>): its own fine-tuning or baseline, and the
/// shared steps (tokenize, a selection, a pre-training) that it was the first to need; <see cref="SecondsOf"/> sums them,
/// so results.json's seconds of a system count every attempt, as the report's timings do. A step recorded without
/// <c>system</c> (files written before owners) goes to the first system that starts it again.
/// </summary>
internal sealed class StepTimings
{
    /// <summary>How often a running step's seconds are written (tests shorten it).</summary>
    internal static TimeSpan FlushEvery { get; set; } = TimeSpan.FromSeconds(10);

    private sealed class Entry
    {
        public double Seconds;
        public int Attempts;
        public bool Finished;
        public string? System;
    }

    private sealed class Running(Entry entry, double before)
    {
        public Entry Entry => entry;
        public Stopwatch Clock { get; } = Stopwatch.StartNew();
        public void Update() => entry.Seconds = before + Clock.Elapsed.TotalSeconds;
    }

    private readonly string _path;
    private readonly object _gate = new();
    private readonly List<(string Step, Entry Entry)> _steps = [];
    private readonly List<Running> _running = [];
    private string? _system;

    public StepTimings(string path)
    {
        _path = path;
        if (!File.Exists(path)) return;
        foreach (var (step, t) in StepTimingsFile.Load(path).Steps)
            _steps.Add((step, new Entry { Seconds = t.Seconds, Attempts = t.Attempts, Finished = t.Finished, System = t.System }));
    }

    /// <summary>
    /// Runs <paramref name="f"/> for <paramref name="system"/>: the steps it starts that no system owns yet become that
    /// system's (<see cref="SecondsOf"/>). Not nested, and one system at a time.
    /// </summary>
    public T For<T>(string system, Func<T> f)
    {
        lock (_gate) _system = system;
        try { return f(); }
        finally { lock (_gate) _system = null; }
    }

    /// <summary>The seconds of the steps <paramref name="system"/> owns (see <see cref="For{T}"/>), over every attempt of every run.</summary>
    public double SecondsOf(string system)
    {
        lock (_gate) return _steps.Where(s => s.Entry.System == system).Sum(s => s.Entry.Seconds);
    }

    /// <summary>Whether an attempt of <paramref name="step"/> ran to its end, in this run or an earlier one.</summary>
    public bool Finished(string step)
    {
        lock (_gate) return _steps.Any(s => s.Step == step && s.Entry.Finished);
    }

    /// <summary>
    /// Runs <paramref name="f"/> as <paramref name="step"/>, adding its wall time to what earlier runs recorded; a finished step
    /// runs untimed (its seconds are what it took to make; the system that owns it was recorded with them).
    /// </summary>
    public T Time<T>(string step, Func<T> f)
    {
        if (Start(step) is not { } run) return f();
        bool finished = false;
        var timer = new Timer(_ => Flush(), null, FlushEvery, FlushEvery);
        try
        {
            var r = f();
            finished = true;
            return r;
        }
        finally
        {
            using (var stopped = new ManualResetEvent(false))
                if (timer.Dispose(stopped)) stopped.WaitOne(); // no flush after the final write below
            lock (_gate)
            {
                run.Update();
                run.Entry.Finished |= finished;
                _running.Remove(run);
                Write();
            }
        }
    }

    /// <summary>The step's new attempt, or null when it finished in an earlier run (then only its owner may be set, for files of older builds).</summary>
    private Running? Start(string step)
    {
        lock (_gate)
        {
            var entry = _steps.FirstOrDefault(s => s.Step == step).Entry;
            if (entry == null) _steps.Add((step, entry = new Entry()));
            entry.System ??= _system;
            Running? run = null;
            if (!entry.Finished)
            {
                entry.Attempts++; // new, or resumed after a run that was killed or failed during it
                _running.Add(run = new Running(entry, entry.Seconds));
            }
            Write();
            return run;
        }
    }

    /// <summary>The timer's write; a failure here is not thrown on the timer's thread (that would end the process): the step's final write reports it.</summary>
    private void Flush()
    {
        lock (_gate)
        {
            try
            {
                foreach (var r in _running) r.Update();
                Write();
            }
            catch (SpeechTokException) { }
        }
    }

    private void Write() => new StepTimingsFile
    {
        Steps = _steps.Select(s => KeyValuePair.Create(s.Step,
            new StepTiming { Seconds = Math.Round(s.Entry.Seconds, 3), Attempts = s.Entry.Attempts, Finished = s.Entry.Finished, System = s.Entry.System })).ToList(),
    }.Save(_path);

    public IReadOnlyList<Timing> All
    {
        get
        {
            lock (_gate) return _steps.Select(s => new Timing(s.Step, s.Entry.Seconds, s.Entry.Attempts, s.Entry.Finished)).ToList();
        }
    }
}
