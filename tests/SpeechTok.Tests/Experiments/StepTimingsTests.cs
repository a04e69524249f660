using System.Text.Json.Nodes;
using SpeechTok.Experiments.Runner;

namespace SpeechTok.Tests.Experiments;

/// <summary>OUT/timings.json across runs: steps of earlier runs kept, attempts counted, the old format read, a bad one named.</summary>
public sealed class StepTimingsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("speechtok-timings-").FullName;
    private string PathOf => Path.Combine(_dir, ExperimentRunner.TimingsFile);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private JsonObject Step(string step) => (JsonObject)JsonNode.Parse(File.ReadAllText(PathOf))![step]!;

    [Fact]
    public void A_step_is_written_when_it_starts_and_ends_and_a_failed_one_counts_another_attempt_when_resumed()
    {
        var t = new StepTimings(PathOf);
        t.Time("tokenize", () =>
        {
            var running = Step("tokenize"); // on disk while it runs: a kill now keeps an unfinished attempt
            Assert.Equal(1, (int)running["attempts"]!);
            Assert.False((bool)running["finished"]!);
            Thread.Sleep(20);
            return 0;
        });
        Assert.Throws<OperationCanceledException>(() => t.Time<int>("pre-train 2-8", () => { Thread.Sleep(20); throw new OperationCanceledException(); }));
        var failed = Step("pre-train 2-8");
        Assert.False((bool)failed["finished"]!);
        Assert.True((double)failed["seconds"]! >= 0.02);

        var next = new StepTimings(PathOf); // the next run
        next.Time("pre-train 2-8", () => { Thread.Sleep(20); return 0; });
        next.Time("tokenize", () => 0); // a finished step entered again (tokenize re-checks): no attempt
        var all = next.All.ToDictionary(x => x.Step);
        Assert.Equal(["tokenize", "pre-train 2-8"], next.All.Select(x => x.Step));
        Assert.Equal((2, true), (all["pre-train 2-8"].Attempts, all["pre-train 2-8"].Finished));
        Assert.True(all["pre-train 2-8"].Seconds >= 0.04, $"{all["pre-train 2-8"].Seconds}");
        Assert.Equal((1, true), (all["tokenize"].Attempts, all["tokenize"].Finished));
        Assert.True(all["tokenize"].Seconds >= 0.02);
        Assert.Equal(2, (int)Step("pre-train 2-8")["attempts"]!);
    }

    /// <summary>results.json's seconds of a system were its last run's wall time: a killed and resumed system lost the
    /// earlier attempts that timings.json keeps. A step now belongs to the system that started it first, and a system's
    /// seconds sum its steps over every attempt.</summary>
    [Fact]
    public void A_system_s_seconds_sum_every_attempt_of_the_steps_it_started_first_across_runs()
    {
        File.WriteAllText(PathOf, """{"selection 2-8": {"seconds": 7, "attempts": 1, "finished": true}}"""); // before owners were recorded
        var t = new StepTimings(PathOf);
        Assert.Throws<OperationCanceledException>(() => t.For<int>("audio-lasso", () =>
        {
            t.Time("tokenize", () => { Thread.Sleep(20); return 0; });
            t.Time("selection 2-8", () => 0); // claimed by the first system to start it again
            return t.Time<int>("pre-train 2-8", () => { Thread.Sleep(20); throw new OperationCanceledException(); }); // killed
        }));
        Assert.Equal("audio-lasso", (string)Step("tokenize")["system"]!);

        var next = new StepTimings(PathOf); // the resumed run
        next.For("audio-lasso", () => next.Time("pre-train 2-8", () => 0) + next.Time("fine-tune audio-lasso", () => 0));
        next.For("audio-lasso-nopt", () => next.Time("tokenize", () => 0) + next.Time("fine-tune audio-lasso-nopt", () => { Thread.Sleep(20); return 0; }));
        var all = next.All.ToDictionary(x => x.Step, x => x.Seconds);
        Assert.Equal(all["tokenize"] + all["selection 2-8"] + all["pre-train 2-8"] + all["fine-tune audio-lasso"], next.SecondsOf("audio-lasso"), 9);
        Assert.True(next.SecondsOf("audio-lasso") >= 7.04, $"{next.SecondsOf("audio-lasso")}"); // both attempts of the pre-training
        Assert.Equal(all["fine-tune audio-lasso-nopt"], next.SecondsOf("audio-lasso-nopt"), 9); // tokenize stays audio-lasso's
        Assert.Equal(0, next.SecondsOf("bow"));
        Assert.Equal("audio-lasso", (string)Step("pre-train 2-8")["system"]!);
    }

    /// <summary>A finished step that a later run entered again (tokenize, re-checking the codes for another system) added its
    /// seconds to the step, which the system that made it owns: its seconds in results.json, written when it finished, then fell
    /// behind the sum of its steps. A finished step is no longer timed.</summary>
    [Fact]
    public void A_finished_step_entered_again_keeps_its_seconds_so_its_system_s_stay_the_sum_of_its_steps()
    {
        var t = new StepTimings(PathOf);
        double recorded = t.For("audio-lasso", () => t.Time("tokenize", () => { Thread.Sleep(20); return 0; }) + t.SecondsOf("audio-lasso"));

        var next = new StepTimings(PathOf); // a later run: audio-lasso-8 enters the tokenize step audio-lasso made
        next.For("audio-lasso-8", () => next.Time("tokenize", () => { Thread.Sleep(100); return 0; }));
        Assert.Equal(recorded, next.SecondsOf("audio-lasso"), 3); // milliseconds, as timings.json rounds
        Assert.Equal(recorded, (double)Step("tokenize")["seconds"]!, 3);
        Assert.Equal(0, next.SecondsOf("audio-lasso-8"));
        Assert.Equal((1, true), (next.All[0].Attempts, next.All[0].Finished));
    }

    [Fact]
    public void The_format_without_attempts_reads_as_finished_steps_and_a_bad_entry_is_named()
    {
        File.WriteAllText(PathOf, """{"tokenize": 62.5, "fine-tune audio-lasso": 1086}""");
        var t = new StepTimings(PathOf);
        Assert.Equal([new("tokenize", 62.5), new("fine-tune audio-lasso", 1086)], t.All);
        t.Time("tokenize", () => 0);
        Assert.Equal(1, t.All[0].Attempts);
        Assert.True(t.All[0].Seconds >= 62.5);

        File.WriteAllText(PathOf, """{"tokenize": {"seconds": 3, "attempts": 0, "finished": true}}""");
        var ex = Assert.Throws<SpeechTokException>(() => new StepTimings(PathOf));
        Assert.Contains(PathOf, ex.Message);
        Assert.Contains("step 'tokenize'", ex.Message);
        File.WriteAllText(PathOf, """{"tokenize": {"seconds": 3, "attempts": 1, "finished": true, "system": 4}}""");
        Assert.Contains("step 'tokenize' is", Assert.Throws<SpeechTokException>(() => new StepTimings(PathOf)).Message);
        File.WriteAllText(PathOf, """{"tokenize": -1}""");
        Assert.Contains("step 'tokenize' has -1 seconds", Assert.Throws<SpeechTokException>(() => new StepTimings(PathOf)).Message);
    }
}
