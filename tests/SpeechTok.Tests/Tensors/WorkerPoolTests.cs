using SpeechTok.Tensors;

namespace SpeechTok.Tests.Tensors;

public sealed class WorkerPoolTests
{
    [Fact]
    public void Every_part_runs_once_across_many_loops()
    {
        for (int round = 0; round < 200; round++)
        {
            int parts = 1 + round % 37;
            var hits = new int[parts];
            WorkerPool.For(parts, 3, p => Interlocked.Increment(ref hits[p]));
            Assert.All(hits, h => Assert.Equal(1, h));
        }
    }

    [Fact]
    public void Nested_and_concurrent_loops_complete()
    {
        // Loops inside parts (the pool is busy: they go to the thread pool) and from four threads at once.
        var sums = new long[4];
        var callers = Enumerable.Range(0, 4).Select(c => new Thread(() =>
        {
            for (int round = 0; round < 20; round++)
                WorkerPool.For(4, 2, outer => WorkerPool.For(5, 2, inner => Interlocked.Add(ref sums[c], outer * 10 + inner)));
        })).ToList();
        callers.ForEach(t => t.Start());
        callers.ForEach(t => t.Join());
        // Σ over outer 0..3, inner 0..4 of (10·outer + inner) = 5·60 + 4·10 = 340 per round.
        Assert.All(sums, s => Assert.Equal(20 * 340, s));
    }

    [Fact]
    public void Part_errors_come_back_as_from_Parallel_For()
    {
        var named = Assert.Throws<SpeechTokException>(() =>
            WorkerPool.For(8, 2, p => { if (p == 5) throw new SpeechTokException("part 5: bad input"); }));
        Assert.Equal("part 5: bad input", named.Message);
        var other = Assert.Throws<AggregateException>(() =>
            WorkerPool.For(8, 2, p => { if (p == 6) throw new InvalidOperationException("six"); }));
        Assert.Equal("six", Assert.Single(other.InnerExceptions).Message);
        // The pool is usable again after a failed loop.
        int count = 0;
        WorkerPool.For(8, 2, _ => Interlocked.Increment(ref count));
        Assert.Equal(8, count);
    }
}
