using SpeechTok.Tensors;

namespace SpeechTok.Tests.Tensors;

[Collection(ThreadsCollection.Name)]
public sealed class ThreadingTests
{
    [Fact]
    public void RunJobs_runs_every_job_once_and_shares_the_threads()
    {
        int saved = Threading.Threads;
        try
        {
            Threading.Threads = 4;
            var hits = new int[7];
            var seen = new int[7];
            var gate = new Barrier(2); // the first two jobs run at the same time
            Threading.RunJobs(7, 2, (i, _) =>
            {
                seen[i] = Threading.Threads;
                if (i < 2) gate.SignalAndWait(TimeSpan.FromSeconds(30)); // neither worker exits before both have read their share
                Interlocked.Increment(ref hits[i]);
            });
            Assert.All(hits, h => Assert.Equal(1, h));
            Assert.Equal(2, seen[0]); // two workers running: 4 threads / 2
            Assert.Equal(2, seen[1]);
            Assert.Equal(4, Threading.Threads); // the caller's setting is untouched

            // One worker: in order, on the calling thread, with every thread.
            var order = new List<int>();
            int caller = Environment.CurrentManagedThreadId;
            Threading.RunJobs(3, 1, (i, _) => { Assert.Equal(caller, Environment.CurrentManagedThreadId); Assert.Equal(4, Threading.Threads); order.Add(i); });
            Assert.Equal([0, 1, 2], order);
        }
        finally { Threading.Threads = saved; }
    }

    [Fact]
    public void RunJobs_gives_the_last_running_job_every_thread()
    {
        int saved = Threading.Threads;
        try
        {
            Threading.Threads = 2;
            using var firstDone = new ManualResetEventSlim();
            int after = 0;
            Threading.RunJobs(2, 2, (i, _) =>
            {
                if (i == 0) { firstDone.Set(); return; }
                Assert.True(firstDone.Wait(TimeSpan.FromSeconds(30)));
                var deadline = DateTime.UtcNow.AddSeconds(30);
                while (Threading.Threads != 2 && DateTime.UtcNow < deadline) Thread.Sleep(1); // the other worker exits right after its job
                after = Threading.Threads;
            });
            Assert.Equal(2, after);
        }
        finally { Threading.Threads = saved; }
    }

    [Fact]
    public void RunJobs_stops_the_others_and_rethrows_the_first_error()
    {
        int started = 0;
        var e = Assert.Throws<SpeechTokException>(() => Threading.RunJobs(50, 2, (i, cancel) =>
        {
            Interlocked.Increment(ref started);
            if (i == 1) throw new SpeechTokException("job 1: bad input");
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (DateTime.UtcNow < deadline)
            {
                cancel.ThrowIfCancellationRequested(); // a running job stops at its next safe point
                Thread.Sleep(1);
            }
        }));
        Assert.Equal("job 1: bad input", e.Message);
        Assert.True(started < 50, $"{started} jobs started after the error");
    }
}
