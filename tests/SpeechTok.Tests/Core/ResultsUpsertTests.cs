using SpeechTok.Evaluation;
using SpeechTok.IO;
using SpeechTok.Tests.Audio;

namespace SpeechTok.Tests.Core;

/// <summary>
/// Two commands adding to one results.json at once (two evaluates, baseline beside experiment) each read the file before
/// the other wrote it, and one entry was lost: <see cref="ExperimentResults.Upsert"/> read, modified and wrote with no lock.
/// </summary>
public sealed class ResultsUpsertTests : IDisposable
{
    private readonly string _dir = Tool.TempDir("results-upsert");

    public void Dispose() => Directory.Delete(_dir, true);

    private string Results => Path.Combine(_dir, ExperimentResults.FileName);

    private static SystemResult Entry(string system) => SystemResult.FromSeeds(system, [new SeedScore { Seed = 1, MacroF1 = 0.5 }]);

    private void Upsert(string system) => ExperimentResults.Upsert(Results, "/data/m.csv", null, "multiclass", Entry(system));

    [Fact]
    public void Concurrent_upserts_keep_every_entry()
    {
        const int writers = 6, each = 8;
        using var start = new Barrier(writers);
        var threads = Enumerable.Range(0, writers).Select(w => new Thread(() =>
        {
            start.SignalAndWait(); // all read-modify-writes race from the same moment
            for (int i = 0; i < each; i++) Upsert($"w{w}-{i}");
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        var systems = ExperimentResults.Load(Results).Systems.Select(s => s.System).Order(StringComparer.Ordinal);
        Assert.Equal(Enumerable.Range(0, writers).SelectMany(w => Enumerable.Range(0, each).Select(i => $"w{w}-{i}")).Order(StringComparer.Ordinal), systems);
    }

    [Fact]
    public async Task An_upsert_waits_for_the_writer_that_holds_the_file()
    {
        Upsert("first");
        Task upsert;
        using (FileLock.TryAcquire(ExperimentResults.LockPath(Results), Results)!) // another writer, mid read-modify-write
        {
            upsert = Task.Run(() => Upsert("second"));
            await Task.Delay(300);
            Assert.False(upsert.IsCompleted);
            Assert.Equal(["first"], ExperimentResults.Load(Results).Systems.Select(s => s.System));
        }
        await upsert.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(["first", "second"], ExperimentResults.Load(Results).Systems.Select(s => s.System));
    }
}
