using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace SpeechTok.Tensors;

/// <summary>
/// The engine's fork/join loops on long-lived threads: up to threads − 1 helpers (started on first use) and
/// the calling thread take parts from a shared counter. A training step runs hundreds of loops with
/// sub-millisecond parts; on the .NET thread pool each loop queues tasks and wakes pool workers, whose
/// spinning and wake-up cost as much as the parts on a small machine (docs/engine-ops.md). Helpers spin a
/// little after a loop, since the next one usually follows within microseconds, and then block.
/// One loop runs here at a time: a loop started from inside a part, or from another thread meanwhile, runs on
/// the .NET thread pool as before. Only which thread runs a part differs; what each part computes does not.
/// </summary>
internal static class WorkerPool
{
    /// <summary>How long an idle helper, or a caller waiting for the last parts, spins before it blocks.</summary>
    private static readonly long SpinTicks = Stopwatch.Frequency / 20_000; // 50 µs

    private static readonly object Gate = new();
    private static Thread[] _helpers = [];
    private static Loop? _loop;
    private static int _generation, _sleeping, _busy;

    /// <summary>
    /// body(part) for part in [0, parts) on up to <paramref name="threads"/> threads, the caller's included. A
    /// <see cref="SpeechTokException"/> from a part is rethrown as itself; other exceptions come wrapped in an
    /// <see cref="AggregateException"/> (as from Parallel.For). After a part fails no new part starts.
    /// </summary>
    public static void For(int parts, int threads, Action<int> body)
    {
        if (parts <= 1 || threads <= 1)
        {
            for (int p = 0; p < parts; p++) body(p);
            return;
        }
        if (Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            ThreadPoolFor(parts, threads, body);
            return;
        }
        Loop loop;
        try
        {
            int helpers = Math.Min(threads, parts) - 1;
            if (_helpers.Length < helpers) StartHelpers(helpers);
            loop = new Loop(body, parts, helpers);
            Volatile.Write(ref _loop, loop);
            Interlocked.Increment(ref _generation);
            if (Volatile.Read(ref _sleeping) > 0)
                lock (Gate) Monitor.PulseAll(Gate);
            loop.Work();
            loop.WaitAll();
        }
        finally { Volatile.Write(ref _busy, 0); }
        loop.ThrowIfFailed();
    }

    private static void ThreadPoolFor(int parts, int threads, Action<int> body)
    {
        try { Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = threads }, body); }
        catch (AggregateException ae) when (ae.InnerExceptions.FirstOrDefault(x => x is SpeechTokException) is { } first)
        {
            ExceptionDispatchInfo.Throw(first);
        }
    }

    /// <summary>Called only by the loop's owner (under _busy), so helpers are never started twice.</summary>
    private static void StartHelpers(int count)
    {
        var all = new Thread[count];
        _helpers.CopyTo(all, 0);
        int generation = Volatile.Read(ref _generation); // the loop about to be published is new to them
        for (int i = _helpers.Length; i < count; i++)
        {
            int me = i;
            all[i] = new Thread(() => HelperMain(me, generation)) { IsBackground = true, Name = $"SpeechTok worker {i + 1}" };
            all[i].Start();
        }
        _helpers = all;
    }

    private static void HelperMain(int me, int seen)
    {
        while (true)
        {
            seen = NextGeneration(seen);
            var loop = Volatile.Read(ref _loop)!;
            // A helper that wakes late may find a newer loop, or a finished one: it then finds no part left.
            if (me < loop.Helpers) loop.Work();
        }
    }

    /// <summary>Spins, then blocks, until a loop newer than <paramref name="seen"/> is published.</summary>
    private static int NextGeneration(int seen)
    {
        long start = Stopwatch.GetTimestamp();
        int g;
        while ((g = Volatile.Read(ref _generation)) == seen)
        {
            if (Stopwatch.GetTimestamp() - start < SpinTicks)
            {
                Thread.SpinWait(20);
                continue;
            }
            lock (Gate)
            {
                // The owner bumps the generation and then reads _sleeping (both fenced): it pulses, or we see it.
                Interlocked.Increment(ref _sleeping);
                while ((g = Volatile.Read(ref _generation)) == seen) Monitor.Wait(Gate);
                Interlocked.Decrement(ref _sleeping);
            }
            break;
        }
        return g;
    }

    /// <summary>One fork/join loop: parts are claimed in order from a counter by whichever thread is free.</summary>
    private sealed class Loop(Action<int> body, int parts, int helpers)
    {
        public readonly int Helpers = helpers;
        private readonly object _gate = new();
        private int _next = -1, _done, _ownerBlocked;
        private volatile bool _failed;
        private List<Exception>? _errors;

        public void Work()
        {
            int p;
            while ((p = Interlocked.Increment(ref _next)) < parts)
            {
                if (!_failed)
                {
                    try { body(p); }
                    catch (Exception e)
                    {
                        lock (_gate) (_errors ??= []).Add(e);
                        _failed = true;
                    }
                }
                if (Interlocked.Increment(ref _done) == parts && Volatile.Read(ref _ownerBlocked) != 0)
                    lock (_gate) Monitor.Pulse(_gate);
            }
        }

        /// <summary>Returns once every part has finished (the owner has claimed none left).</summary>
        public void WaitAll()
        {
            long start = Stopwatch.GetTimestamp();
            while (Volatile.Read(ref _done) < parts)
            {
                if (Stopwatch.GetTimestamp() - start < SpinTicks)
                {
                    Thread.SpinWait(20);
                    continue;
                }
                lock (_gate)
                {
                    Interlocked.Exchange(ref _ownerBlocked, 1);
                    while (Volatile.Read(ref _done) < parts) Monitor.Wait(_gate);
                }
            }
        }

        public void ThrowIfFailed()
        {
            if (_errors == null) return;
            if (_errors.FirstOrDefault(x => x is SpeechTokException) is { } first) ExceptionDispatchInfo.Throw(first);
            throw new AggregateException(_errors);
        }
    }
}
