using System.Runtime.ExceptionServices;

namespace SpeechTok.Tensors;

/// <summary>
/// The engine's degree of parallelism. Kernels split work into at most <see cref="Threads"/> parts;
/// the default is every core. Set once at start-up (the CLI's <c>--threads</c>); a job of
/// <see cref="RunJobs"/> sees its share of it instead.
/// </summary>
public static class Threading
{
    private static int _threads = Environment.ProcessorCount;
    [ThreadStatic] private static JobShare? t_share;

    /// <summary>Threads a kernel called on this thread may use: the process setting, or within <see cref="RunJobs"/> this job's share.</summary>
    public static int Threads
    {
        get => t_share?.Threads ?? _threads;
        set => _threads = value < 1 ? Environment.ProcessorCount : value;
    }

    /// <summary>
    /// Runs job(i, token) for i in [0, count) on <paramref name="workers"/> threads at once (at most count, at least 1;
    /// with 1, in order on the calling thread). The <see cref="Threads"/> are shared out: each running worker's kernels
    /// see ⌊Threads / running workers⌋ (at least 1), re-read at every loop, so the last job running gets them all.
    /// Small models train faster this way than one job at a time on every thread (fork/join costs more than a step's
    /// small products gain, docs/engine-ops.md); what a job computes must not depend on its thread count, which the
    /// engine's kernels guarantee. When a job throws, no new job starts, <paramref name="job"/>'s token is cancelled so
    /// that the running ones can stop at a safe point, and the first exception (other than the cancellations that follow it) is rethrown
    /// once every worker has stopped; if a worker thread cannot even start, that failure is thrown, with a job's failure
    /// in an <see cref="AggregateException"/> when there is one.
    /// </summary>
    public static void RunJobs(int count, int workers, Action<int, CancellationToken> job)
    {
        workers = Math.Clamp(workers, 1, Math.Max(1, count));
        using var cancel = new CancellationTokenSource();
        if (workers == 1)
        {
            for (int i = 0; i < count; i++) job(i, cancel.Token);
            return;
        }
        int total = Threads, next = -1;
        var shares = Enumerable.Range(0, workers).Select(_ => new JobShare { Threads = Math.Max(1, total / workers) }).ToArray();
        Exception? first = null;
        var threads = shares.Select(share => new Thread(() =>
        {
            t_share = share;
            try
            {
                int i;
                while (!cancel.IsCancellationRequested && (i = Interlocked.Increment(ref next)) < count) job(i, cancel.Token);
            }
            catch (Exception e)
            {
                // A cancellation seen by one job is the consequence of another's failure, not a cause.
                if (e is not OperationCanceledException || !cancel.IsCancellationRequested) Interlocked.CompareExchange(ref first, e, null);
                cancel.Cancel();
            }
            finally
            {
                lock (shares)
                {
                    share.Done = true;
                    int left = shares.Count(s => !s.Done);
                    foreach (var s in shares) if (!s.Done) s.Threads = Math.Max(1, total / Math.Max(1, left));
                }
            }
        }) { IsBackground = true, Name = "speechtok job" }).ToList();
        int started = 0;
        Exception? startFailure = null;
        try
        {
            foreach (var t in threads) { t.Start(); started++; }
        }
        catch (Exception e)
        {
            startFailure = e;
            cancel.Cancel();
        }
        // Even when a thread cannot start, the started ones hold the caller's buffers: wait for them, and report
        // a job's own failure beside the start failure rather than instead of it.
        for (int t = 0; t < started; t++) threads[t].Join();
        if (startFailure != null && first != null) throw new AggregateException(startFailure, first);
        if (startFailure != null) ExceptionDispatchInfo.Throw(startFailure);
        if (first != null) ExceptionDispatchInfo.Throw(first);
    }

    private sealed class JobShare
    {
        public volatile int Threads;
        public volatile bool Done;
    }

    /// <summary>
    /// Runs body(part) for part in [0, parts) on up to <see cref="Threads"/> threads (the engine's
    /// <see cref="WorkerPool"/>). A <see cref="SpeechTokException"/> from a part (bad input, named by the body)
    /// is rethrown as itself, other exceptions wrapped in an AggregateException.
    /// </summary>
    public static void For(int parts, Action<int> body) => WorkerPool.For(parts, Threads, body);

    /// <summary>Splits [0, n) into contiguous ranges, one per thread, for work too fine for per-item tasks.</summary>
    public static void ForRange(int n, int minPerPart, Action<int, int> body)
    {
        int parts = Math.Max(1, Math.Min(Threads, n / Math.Max(1, minPerPart)));
        if (parts == 1)
        {
            body(0, n);
            return;
        }
        For(parts, p =>
        {
            long start = (long)n * p / parts, end = (long)n * (p + 1) / parts;
            body((int)start, (int)end);
        });
    }
}
