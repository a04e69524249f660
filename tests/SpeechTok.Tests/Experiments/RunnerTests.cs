using SpeechTok.Audio;
using SpeechTok.Codec.Builtin;
using SpeechTok.Evaluation;
using System.Text;
using System.Text.Json.Nodes;
using SpeechTok.Experiments.Plots;
using SpeechTok.Experiments.Runner;
using SpeechTok.Selection;
using SpeechTok.Training;
using SpeechTok.Tests.Training;

namespace SpeechTok.Tests.Experiments;

/// <summary>
/// The experiment runner end to end on 24 generated clips: the label is
/// the pitch of the tone (low/high); the word agrees with the label for 2 clips in 3 only, so the selection needs the audio; a tiny preset keeps it to seconds.
/// </summary>
public sealed class RunnerTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "speechtok-runner-" + Guid.NewGuid().ToString("N")[..8]);

    private static readonly ExperimentPreset Tiny = ExperimentPreset.Quick with
    {
        Name = "tiny", Seeds = [1], FinetuneEpochs = 1, PretrainEpochs = 1, LoraRank = 4, LoraAlpha = 4, MaxLength = 96,
        SweepC = [0.1, 1, 10, 100], MinTokens = 1, MaxTokenShare = 1,
    };

    public RunnerTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    /// <param name="toneInChannel1">Stereo clips: channel 0 the faint noise alone, channel 1 the tone as well, so only a step that averages the channels hears the label.</param>
    private string WriteDataset(int perSplitTrain = 12, int perSplitOther = 6, int missingEvery = 0, bool toneInChannel1 = false)
    {
        var clips = Path.Combine(_dir, "clips");
        Directory.CreateDirectory(clips);
        var csv = new StringBuilder("split,index,text,audio_path_list,label\n");
        string[] fillers = ["the cat sat", "a dog ran", "we saw it", "they said so"];
        int n = 0;
        foreach (var (split, count) in new[] { ("train", perSplitTrain), ("val", perSplitOther), ("test", perSplitOther) })
            for (int i = 0; i < count; i++, n++)
            {
                int y = i % 2;
                string name = $"c{n:D3}.wav";
                if (missingEvery == 0 || n % missingEvery != 0)
                {
                    float[] wav = new float[8000], noise = new float[8000];
                    double f = (y == 0 ? 180 : 420) * (1 + 0.03 * (i % 3));
                    for (int t = 0; t < wav.Length; t++)
                    {
                        wav[t] = (float)((8000 * Math.Sin(2 * Math.PI * f * t / 16000) * (0.6 + 0.4 * Math.Sin(2 * Math.PI * 3 * t / 16000)) + 200 * Math.Sin(t * 12.9898 + n)) / 32768);
                        noise[t] = (float)(200 * Math.Sin(t * 12.9898 + n) / 32768);
                    }
                    if (toneInChannel1) Audio.StereoWav.Write(Path.Combine(clips, name), noise, wav);
                    else WavWriter.Write(Path.Combine(clips, name), wav, 16000);
                }
                csv.Append($"{split},{i},{fillers[(i / 2) % fillers.Length]} {((y == 0) != (i % 3 == 0) ? "alpha" : "beta")},clips/{name},{y}\n");
            }
        var path = Path.Combine(_dir, "manifest.csv");
        File.WriteAllText(path, csv.ToString());
        return path;
    }

    /// <summary>
    /// 4 labels, each a tone of its own frequency mixed into the clip when the label is on; every 4th clip has no
    /// label (silence and noise); the words are uninformative. Names in the sidecar.
    /// </summary>
    private string WriteMultiLabelDataset()
    {
        var clips = Path.Combine(_dir, "clips");
        Directory.CreateDirectory(clips);
        var csv = new StringBuilder("split,index,text,audio_path_list,labels\n");
        double[] tones = [200, 450, 900, 1800];
        var rng = new Random(4);
        int n = 0;
        foreach (var (split, count) in new[] { ("train", 32), ("val", 12), ("test", 12) })
            for (int i = 0; i < count; i++, n++)
            {
                var set = Enumerable.Range(0, 4).Where(c => rng.NextDouble() < 0.45 && i % 4 != 0).ToArray();
                var wav = new float[8000];
                for (int t = 0; t < wav.Length; t++)
                    wav[t] = (float)((set.Sum(c => 6000 * Math.Sin(2 * Math.PI * tones[c] * t / 16000)) + 200 * Math.Sin(t * 12.9898 + n)) / 32768);
                WavWriter.Write(Path.Combine(clips, $"m{n:D3}.wav"), wav, 16000);
                csv.Append($"{split},{i},the cat sat {(i % 3 == 0 ? "down" : "still")},clips/m{n:D3}.wav,{string.Join(";", set)}\n");
            }
        var path = Path.Combine(_dir, "multi.csv");
        File.WriteAllText(path, csv.ToString());
        File.WriteAllLines(Manifest.LabelNamesPath(path), ["low", "mid", "high", "top"]);
        return path;
    }

    /// <summary>A manifest without test samples is refused before any work, naming the split and why every split is needed.</summary>
    [Fact]
    public void A_manifest_with_an_empty_test_split_is_refused_naming_the_split()
    {
        using var d = new ToyData(perSplit: 8, emptySplits: ["test"]);
        string outDir = Path.Combine(_dir, "out");
        var (code, stdout, err) = CliRunner.Run("experiment", "--manifest", d.Manifest, "--out", outDir, "--systems", "bow");
        Assert.Equal((2, ""), (code, stdout));
        Assert.Equal($"error: {d.Manifest}: split 'test' is empty (experiment needs train, val and test)", err.Trim());
        Assert.False(Directory.Exists(outDir));
    }

    [Fact]
    public void Multi_label_manifest_runs_every_system_and_reports_per_label_f1()
    {
        var o = Options(WriteMultiLabelDataset());
        var results = ExperimentRunner.Run(o);
        Assert.Equal("multilabel", results.Task);
        Assert.Equal(["low", "mid", "high", "top"], results.ClassNames);
        Assert.Equal(ExperimentRunner.Systems, results.Systems.Select(s => s.System));
        foreach (var s in results.Systems)
        {
            Assert.Equal(4, s.PerLabelF1!.Length);
            Assert.NotNull(s.MicroF1);
            Assert.NotNull(s.MacroF1Bagged);
            Assert.NotNull(s.MacroF1Vote);
            Assert.Null(s.ConfusionMatrix);
        }
        // The tones are the labels: the MFCC baseline hears them, the words do not carry them.
        Assert.True(results.Find("mfcc")!.MacroF1 > results.Find("bow")!.MacroF1, $"mfcc {results.Find("mfcc")!.MacroF1} vs bow {results.Find("bow")!.MacroF1}");
        Assert.Equal(4, SelectionFile.Load(Path.Combine(o.Out, "selection", "2-8.json")).PerLabel!.Count);
        var report = File.ReadAllText(Path.Combine(o.Out, "report.md"));
        Assert.Contains("## Per-label F1", report);
        Assert.Contains("| system | low | mid | high | top | macro-F1 | micro-F1 |", report);
        foreach (var system in ExperimentRunner.Systems) Assert.Contains($"| {system} |", report);
    }

    private ExperimentOptions Options(string manifest) => new()
    {
        Manifest = manifest, Out = Path.Combine(_dir, "out"), Preset = Tiny, Threads = 2,
        Model = TinyLm.Train(Manifest.Load(manifest).Split("train").Select(s => s.Text).ToList(), Path.Combine(_dir, "lm")),
    };

    [Fact]
    public void Interrupted_run_resumes_skips_finished_systems_and_reports_all_eight()
    {
        var o = Options(WriteDataset());
        // Interrupt inside the 6th system, after five systems were recorded.
        var first = new List<string>();
        Assert.Throws<OperationCanceledException>(() => ExperimentRunner.Run(o, m =>
        {
            first.Add(m);
            if (m.StartsWith("audio-lasso-8: fine-tuning", StringComparison.Ordinal)) throw new OperationCanceledException();
        }));
        var partial = ExperimentResults.Load(Path.Combine(o.Out, "results.json"));
        Assert.Equal(["bow", "mfcc", "bow-mfcc", "text-only-llm", "audio-lasso"], partial.Systems.Select(s => s.System));

        var second = new List<string>();
        var results = ExperimentRunner.Run(o, second.Add);
        foreach (var s in partial.Systems)
        {
            Assert.Contains($"{s.System}: already in results.json, skipped", second);
            Assert.Equal(s.MacroF1, results.Find(s.System)!.MacroF1);
        }
        Assert.DoesNotContain(second, m => m.StartsWith("audio-lasso: fine-tuning", StringComparison.Ordinal));
        Assert.Equal(ExperimentRunner.Systems, results.Systems.Select(s => s.System));
        foreach (var s in results.Systems)
        {
            Assert.InRange(s.MacroF1, 0, 1);
            Assert.NotNull(s.MacroF1Bagged);
            Assert.NotNull(s.MacroF1Vote);
            Assert.NotNull(s.MacroF1AllLabels);
            Assert.NotNull(s.F1Class1);
            Assert.NotEmpty(s.PerSeed);
        }
        int lasso = results.Find("audio-lasso")!.SelectedTokens!.Value;
        Assert.True(lasso > 0);
        Assert.Equal(lasso, results.Find("audio-random")!.SelectedTokens);
        Assert.Equal(lasso, results.Find("audio-lasso-nopt")!.SelectedTokens);
        Assert.NotNull(results.Find("audio-lasso-8")!.SelectedTokens);

        var report = File.ReadAllText(Path.Combine(o.Out, "report.md"));
        foreach (var system in ExperimentRunner.Systems) Assert.Contains($"| {system} |", report);
        Assert.Contains("What the selected tokens hear", report);
        Assert.Contains("### Tokens vs one vector", report);
        Assert.Contains("| one projected utterance vector | audio-vector |", report);
        Assert.Contains("## Timings", report);
        foreach (var svg in new[] { "macro-f1.svg", "c-sweep.svg", "confusion.svg", "curves-audio-lasso.svg" })
            Assert.StartsWith("<svg", File.ReadAllText(Path.Combine(o.Out, "plots", svg)).TrimStart());

        // A rerun with other settings into the same folder is refused instead of mixing cached steps.
        var ex = Assert.Throws<SpeechTokException>(() => ExperimentRunner.Run(o with { Seeds = [2] }));
        Assert.Matches("'preset\\.seeds' was \"[^\"]*\", this command has \"2\"; rerun with the same options", ex.Message); // the field, not two whole presets
        // The binary task's default metric changes nothing, so the folder accepts it; another metric is refused.
        var same = new List<string>();
        ExperimentRunner.Run(o with { MetricForBestModel = "f1_class_1" }, same.Add);
        Assert.All(ExperimentRunner.Systems, s => Assert.Contains($"{s}: already in results.json, skipped", same));
        Assert.Contains("preset", Assert.Throws<SpeechTokException>(() => ExperimentRunner.Run(o with { MetricForBestModel = "macro_f1" })).Message);
    }

    /// <summary>audio-random draws as many tokens as the 2-8 selection keeps; run without audio-lasso before it, it made that
    /// selection inside its own 'selection random' step, so timings.json (and the report's total) counted the 2-8
    /// selection's seconds twice.</summary>
    [Fact]
    public void Audio_random_alone_times_the_2_8_selection_once_as_its_own_step()
    {
        var o = Options(WriteDataset()) with { OnlySystems = ["audio-random"] };
        ExperimentRunner.Run(o, m =>
        {
            if (m.StartsWith("selection 2-8: C =", StringComparison.Ordinal)) Thread.Sleep(3000); // inside the 2-8 step: a slow selection
        });
        var timings = (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(o.Out, ExperimentRunner.TimingsFile)))!;
        double lasso = (double)timings["selection 2-8"]!["seconds"]!, random = (double)timings["selection random"]!["seconds"]!;
        Assert.True(lasso >= 3, $"selection 2-8: {lasso} s");
        // Timed inside it, the 2-8 step would give 'selection random' its 3 s; a draw among the codes alone takes
        // milliseconds, so the bound holds on a loaded machine too.
        Assert.True(random < 3, $"selection random: {random} s, selection 2-8: {lasso} s");
    }

    /// <summary>timings.json was written only when a step ended, so a run killed inside a step lost that step's time and the
    /// report's total understated the experiment; now the running step's seconds are flushed while it runs and a resumed
    /// step adds to them, counting the attempt.</summary>
    [Fact]
    public void A_step_killed_and_resumed_keeps_the_time_of_both_runs_and_counts_two_attempts()
    {
        var o = Options(WriteDataset()) with { OnlySystems = ["bow", "text-only-llm"] };
        string path = Path.Combine(o.Out, ExperimentRunner.TimingsFile);
        JsonObject Read() => (JsonObject)JsonNode.Parse(File.ReadAllText(path))!;
        var flushEvery = StepTimings.FlushEvery;
        StepTimings.FlushEvery = TimeSpan.FromMilliseconds(50);
        try
        {
            string? atKill = null;
            Assert.Throws<OperationCanceledException>(() => ExperimentRunner.Run(o, m =>
            {
                if (!m.StartsWith("seed 1: best val", StringComparison.Ordinal)) return;
                // Inside the fine-tuning step, once it has been flushed: what a kill (no finally runs) leaves on disk.
                var until = DateTime.UtcNow.AddSeconds(30);
                while (!(Read()["fine-tune text-only-llm"] is JsonObject e && (double)e["seconds"]! > 0) && DateTime.UtcNow < until) Thread.Sleep(10);
                atKill = File.ReadAllText(path);
                throw new OperationCanceledException();
            }));
            Assert.NotNull(atKill);
            var failed = (JsonObject)Read()["fine-tune text-only-llm"]!; // an exception, unlike a kill, records the step's end
            Assert.Equal((1, false), ((int)failed["attempts"]!, (bool)failed["finished"]!));

            var killed = (JsonObject)JsonNode.Parse(atKill)!;
            killed["fine-tune text-only-llm"]!["seconds"] = (double)killed["fine-tune text-only-llm"]!["seconds"]! + 1000; // a long attempt
            File.WriteAllText(path, killed.ToJsonString()); // as if the process had been killed at that instant
            double bow = (double)killed["baseline bow"]!["seconds"]!, before = (double)killed["fine-tune text-only-llm"]!["seconds"]!;
            Assert.True(before > 0);
            Assert.Equal((1, false), ((int)killed["fine-tune text-only-llm"]!["attempts"]!, (bool)killed["fine-tune text-only-llm"]!["finished"]!));

            var second = new List<string>();
            ExperimentRunner.Run(o, second.Add);
            Assert.Contains("bow: already in results.json, skipped", second);
            var after = Read();
            Assert.Equal(bow, (double)after["baseline bow"]!["seconds"]!); // skipped on resume: the first run's seconds
            var ft = after["fine-tune text-only-llm"]!;
            Assert.Equal((2, true), ((int)ft["attempts"]!, (bool)ft["finished"]!));
            Assert.True((double)ft["seconds"]! > before, $"{ft["seconds"]} s after the resumed attempt, {before} s before it");
            // results.json's seconds were the last run's wall time only: now both attempts, from the same source
            var results = ExperimentResults.Load(Path.Combine(o.Out, ExperimentResults.FileName));
            Assert.Equal((double)ft["seconds"]!, results.Find("text-only-llm")!.Seconds!.Value, 0.001);
            Assert.Equal(bow, results.Find("bow")!.Seconds!.Value, 0.001);
            Assert.Equal(("text-only-llm", "bow"), ((string)ft["system"]!, (string)after["baseline bow"]!["system"]!));
            var report = File.ReadAllText(Path.Combine(o.Out, "report.md"));
            Assert.Contains("| fine-tune text-only-llm (2 attempts) |", report);
            Assert.Contains("| baseline bow |", report);
        }
        finally { StepTimings.FlushEvery = flushEvery; }
    }

    /// <summary>
    /// Only tokenize compared the clips with those the folder was made from: after every clip was rewritten in place, mfcc,
    /// bow-mfcc and audio-vector ran on the new audio and were saved beside codes and runs of the old, then the report failed
    /// at the code store ("run speechtok tokenize"), as did every rerun. Changed clips are now refused before any system runs,
    /// against clips.json (also where no code store exists yet), or against the code store in a folder made without clips.json.
    /// </summary>
    [Fact]
    public void Clips_changed_since_the_folder_read_them_are_refused_before_any_system_runs()
    {
        var o = Options(WriteDataset()) with { OnlySystems = ["mfcc", "audio-lasso-nopt"] };
        ExperimentRunner.Run(o);
        string resultsPath = Path.Combine(o.Out, ExperimentResults.FileName), before = File.ReadAllText(resultsPath);
        foreach (var clip in Manifest.Load(o.Manifest).Samples.Select(s => s.AudioPaths.Single())) // the manifest's bytes stay the same
        {
            var (x, rate) = WavReader.Read(clip);
            WavWriter.Write(clip, x.Select(v => v * 0.5f).ToArray(), rate);
        }
        string MessageOf(string[] systems) => Assert.Throws<SpeechTokException>(() => ExperimentRunner.Run(o with { OnlySystems = systems })).Message;
        foreach (var systems in new[] { ["bow-mfcc", "audio-vector"], new[] { "bow" } }) // text systems too: the token report reads the clips
        {
            string message = MessageOf(systems);
            Assert.StartsWith($"{Path.Combine(o.Out, ExperimentClips.FileName)}: 24 clip(s) of {o.Manifest} have other bytes than when this experiment read them: ", message);
            Assert.Contains(Path.Combine(_dir, "clips", "c000.wav"), message);
            Assert.EndsWith($"restore the clips, or run on the new audio with another --out (or after deleting {o.Out})", message);
        }
        File.Delete(Path.Combine(o.Out, ExperimentClips.FileName)); // as an older build left the folder
        Assert.StartsWith($"{Path.Combine(o.Out, "codes")}: 24 clip(s)", MessageOf(["bow-mfcc"]));
        Assert.Equal(before, File.ReadAllText(resultsPath));
        Assert.False(Directory.Exists(Path.Combine(o.Out, "runs", "audio-vector")));
    }

    /// <summary>
    /// results.json entries of another command counted as done: after `baseline mfcc --grid 0.001` into the folder, `experiment
    /// --mixdown` skipped mfcc and reported that fit (another grid, no mixdown) as its own; a bow entry of the val split made it
    /// skip bow and title the table "val split". Only a test entry whose system finished in this folder (timings.json) is the
    /// experiment's; others are refused, naming them, before the folder is claimed.
    /// </summary>
    [Fact]
    public void Results_json_entries_of_another_command_are_refused_not_skipped_as_done()
    {
        var o = Options(WriteDataset()) with { OnlySystems = ["mfcc", "bow"], Mixdown = true };
        var (code, _, err) = CliRunner.Run("baseline", "mfcc", "--manifest", o.Manifest, "--out", o.Out, "--grid", "0.001");
        Assert.True(code == 0, err);
        string path = Path.Combine(o.Out, ExperimentResults.FileName);
        Assert.Equal($"{path}: entries not written by this experiment: 'mfcc' (split test) ({ExperimentRunner.TimingsFile} records no finished run of them here; " +
            "another command, such as `speechtok baseline --out`, wrote them); they are neither skipped as done nor reported under this experiment's settings: " +
            "use another --out, or remove them from results.json", Assert.Throws<SpeechTokException>(() => ExperimentRunner.Run(o)).Message);
        Assert.False(File.Exists(Path.Combine(o.Out, ExperimentSettings.FileName)));

        var m = Manifest.Load(o.Manifest);
        string val = o.Out + "-val";
        ExperimentResults.Upsert(Path.Combine(val, ExperimentResults.FileName), m.Path, m.Sha256, "binary", new SystemResult { System = "bow", Split = "val", MacroF1 = 0.5 });
        Assert.Contains("entries not written by this experiment: 'bow' (split val)", Assert.Throws<SpeechTokException>(() => ExperimentRunner.Run(o with { Out = val })).Message);
    }

    [Fact]
    public void Missing_clips_fail_before_any_work_listing_all_of_them()
    {
        var o = Options(WriteDataset(missingEvery: 5));
        var ex = Assert.Throws<SpeechTokException>(() => ExperimentRunner.Run(o));
        foreach (var n in new[] { 0, 5, 10, 15, 20 }) Assert.Contains($"c{n:D3}.wav", ex.Message);
        Assert.Contains("5 clip problem(s) (5 missing, 0 unreadable, 0 empty)", ex.Message);
        Assert.False(Directory.Exists(o.Out));
        // text systems alone need no clip: they run where the audio is absent. --systems is run in the fixed order, each
        // once, and results.json keeps that order whatever subsets came first.
        File.WriteAllLines(Manifest.LabelNamesPath(o.Manifest), ["first-name-0", "first-name-1"]);
        var llm = ExperimentRunner.Run(o with { OnlySystems = ["text-only-llm"], Out = o.Out + "-order" });
        Assert.Equal(["text-only-llm"], llm.Systems.Select(x => x.System));
        // names edited after results.json recorded them: the plots keep results.json's, as the report's table does
        File.WriteAllLines(Manifest.LabelNamesPath(o.Manifest), ["renamed-0", "renamed-1"]);
        var ran = new List<string>();
        var both = ExperimentRunner.Run(o with { OnlySystems = ["text-only-llm", "bow", "text-only-llm"], Out = o.Out + "-order" }, ran.Add);
        Assert.Equal(["bow", "text-only-llm"], both.Systems.Select(x => x.System));
        Assert.Equal(["bow", "text-only-llm"], ExperimentResults.Load(Path.Combine(o.Out + "-order", ExperimentResults.FileName)).Systems.Select(x => x.System));
        Assert.Single(ran, l => l.StartsWith("text-only-llm: already in results.json", StringComparison.Ordinal));
        string confusion = File.ReadAllText(Path.Combine(o.Out + "-order", "plots", "confusion.svg"));
        Assert.Contains("first-name-1", confusion);
        Assert.DoesNotContain("renamed", confusion);
        var text = ExperimentRunner.Run(o with { OnlySystems = ["bow"] });
        Assert.Equal(["bow"], text.Systems.Select(x => x.System));
        // --audio-root naming the manifest's own folder (the default) is the same experiment
        ExperimentRunner.Run(o with { OnlySystems = ["bow"], AudioRoot = Path.GetDirectoryName(o.Manifest) + "/" });
        // a folder that also holds a selection (from an earlier run with the clips): its token report needs them, and says so
        new SelectionFile { SelectedFeatures = [1], Layers = [2, 3, 4, 5, 6, 7, 8] }.Save(Path.Combine(o.Out, "selection", "2-8.json"));
        ExperimentRunner.Run(o with { OnlySystems = ["bow"] });
        Assert.Contains("The token report (what the selected audio tokens carry) is left out: it reads the clips, and 5 were not found.", File.ReadAllText(Path.Combine(o.Out, "report.md")));
        Assert.Contains("unknown audio encoder 'byol'", Assert.Throws<SpeechTokException>(() => ExperimentRunner.Run(o with { OnlySystems = ["bow"], AudioEncoder = "byol", Out = o.Out + "2" })).Message);
        Assert.False(Directory.Exists(o.Out + "2"));
    }

    /// <summary>
    /// experiment read channel 0 of every clip, with no --mixdown as tokenize, baseline and finetune have. Here only channel 1
    /// carries the label: with --mixdown the MFCC baseline, the tokenizer and its codes, the audio-vector run and the token
    /// report average the channels and say so, and a rerun into a folder with the other setting is refused before any work.
    /// </summary>
    [Fact]
    public void Mixdown_reaches_every_step_that_reads_clips_and_a_rerun_must_keep_it()
    {
        var o = Options(WriteDataset(toneInChannel1: true)) with { Mixdown = true, OnlySystems = ["mfcc", "audio-lasso-nopt", "audio-vector"] };
        var mfcc = ExperimentRunner.Run(o).Find("mfcc")!;
        Assert.True(BaselineDetails.Of(mfcc).Mixdown);
        using (var store = SpeechTok.Codec.Store.CodeStore.Open(Path.Combine(o.Out, "codes"))) Assert.True(store.Mixdown);
        Assert.True(RunFile.Load(Path.Combine(o.Out, "runs", "audio-lasso-nopt", RunFile.FileName)).CodesMixdown);
        Assert.True(RunFile.Load(Path.Combine(o.Out, "runs", "audio-vector", RunFile.FileName)).AudioMixdown);
        Assert.Contains("| multi-channel clips | channels averaged (--mixdown) |", File.ReadAllText(Path.Combine(o.Out, "report.md")));
        Assert.EndsWith("this folder was made with --mixdown (its codes and results read the clips that way); rerun with the same setting to resume, or use another --out",
            Assert.Throws<SpeechTokException>(() => ExperimentRunner.Run(o with { Mixdown = false })).Message);

        // Without it channel 0 is read (the noise alone), and experiment.json keeps the form of folders made before the option.
        var plain = o with { Mixdown = false, OnlySystems = ["mfcc"], Out = o.Out + "-channel0" };
        var channel0 = ExperimentRunner.Run(plain).Find("mfcc")!;
        Assert.Null(BaselineDetails.Of(channel0).Mixdown);
        Assert.True(mfcc.MacroF1 > channel0.MacroF1, $"mfcc {mfcc.MacroF1} with --mixdown, {channel0.MacroF1} on channel 0");
        Assert.DoesNotContain("mixdown", File.ReadAllText(Path.Combine(plain.Out, ExperimentSettings.FileName)));
        Assert.Contains("this folder was made without --mixdown", Assert.Throws<SpeechTokException>(() => ExperimentRunner.Run(plain with { Mixdown = true })).Message);
    }

    [Fact]
    public void A_wrong_tokenizer_or_model_fails_before_any_work()
    {
        var o = Options(WriteDataset());
        Assert.Contains("does not exist", Assert.Throws<SpeechTokException>(() => ExperimentRunner.Run(o with { Tokenizer = Path.Combine(_dir, "nope") })).Message);
        Assert.False(Directory.Exists(o.Out));
        // a SpeechTokenizer folder whose checkpoint is cut short: refused before the baselines run (it used to fail at tokenize)
        string cut = Path.Combine(_dir, "cut-tokenizer");
        Directory.CreateDirectory(cut);
        string tiny = Path.Combine(Conformance.FixtureRoot.Root, "speechtokenizer-tiny");
        File.Copy(Path.Combine(tiny, "config.json"), Path.Combine(cut, "config.json"));
        var pt = File.ReadAllBytes(Path.Combine(tiny, "model.pt"));
        File.WriteAllBytes(Path.Combine(cut, "model.pt"), pt[..(pt.Length / 2)]);
        Assert.Contains("model.pt", Assert.Throws<SpeechTokException>(() => ExperimentRunner.Run(o with { Tokenizer = cut })).Message);
        Assert.False(Directory.Exists(o.Out));
        string broken = Path.Combine(_dir, "broken-lm");
        Directory.CreateDirectory(broken);
        File.Copy(Path.Combine(o.Model, "config.json"), Path.Combine(broken, "config.json"));
        Assert.Contains(broken, Assert.Throws<SpeechTokException>(() => ExperimentRunner.Run(o with { Model = broken })).Message);
        Assert.False(Directory.Exists(o.Out));
        // A preset max length past the model's context (it trained positions the model never learned, silently).
        Assert.EndsWith($"sequences of up to {TinyLm.Context + 1} tokens exceed the model's max_position_embeddings {TinyLm.Context} (positions it was never trained on); "
            + $"use a --max-length of at most {TinyLm.Context}",
            Assert.Throws<SpeechTokException>(() => ExperimentRunner.Run(o with { Preset = Tiny with { MaxLength = TinyLm.Context + 1 } })).Message);
        // … and `experiment --max-length` overrides the preset's, in both directions
        Assert.EndsWith($"use a --max-length of at most {TinyLm.Context}",
            Assert.Throws<SpeechTokException>(() => ExperimentRunner.Run(o with { MaxLength = TinyLm.Context + 1 })).Message);
        Assert.EndsWith($"use a --max-length of at most {TinyLm.Context}",
            Assert.Throws<SpeechTokException>(() => ExperimentRunner.Run(o with { Preset = Tiny with { MaxLength = TinyLm.Context + 1 }, MaxLength = TinyLm.Context + 2 })).Message);
        Assert.Equal("--max-length 1: must be at least 2 (BOS and one token)", Assert.Throws<SpeechTokException>(() => ExperimentRunner.Run(o with { MaxLength = 1 })).Message);
        Assert.False(Directory.Exists(o.Out));
    }

    /// <summary>
    /// A speech tokenizer of fewer than 8 RVQ layers failed at the 2-8 selection ("codes have 3 RVQ layers, layer 4 requested"), after
    /// the baselines and the tokenization had run; the lasso systems now select among the layers it has, and a one-layer tokenizer,
    /// which has no acoustic layer, is refused before any work.
    /// </summary>
    [Fact]
    public void A_tokenizer_of_fewer_layers_selects_among_its_own_and_one_layer_is_refused_up_front()
    {
        var o = Options(WriteDataset());
        string Fit(int layers)
        {
            string dir = Path.Combine(_dir, $"tokenizer-{layers}");
            BuiltinTokenizer.Fit(Manifest.Load(o.Manifest), new BuiltinFitOptions { NumQuantizers = layers, CodebookSize = 32, MaxIterations = 5 }).Save(dir);
            return dir;
        }
        string one = Fit(1);
        var e = Assert.Throws<SpeechTokException>(() => ExperimentRunner.Run(o with { Tokenizer = one, OnlySystems = ["bow", "audio-lasso", "audio-lasso-8", "audio-random"] }));
        Assert.Equal($"--tokenizer {one} has 1 RVQ layer: audio-lasso, audio-random select among layers 2 and up (all but the first); " +
                     "use a tokenizer with 2 or more layers, or leave them out with --systems", e.Message);
        Assert.False(Directory.Exists(o.Out));

        var results = ExperimentRunner.Run(o with { Tokenizer = Fit(3), OnlySystems = ["audio-lasso", "audio-lasso-8"] });
        Assert.Equal(["audio-lasso", "audio-lasso-8"], results.Systems.Select(s => s.System));
        Assert.Equal([2, 3], SelectionFile.Load(Path.Combine(o.Out, "selection", "2-3.json")).Layers);
        Assert.Equal([1, 2, 3], SelectionFile.Load(Path.Combine(o.Out, "selection", "1-3.json")).Layers);
        Assert.True(File.Exists(Path.Combine(o.Out, "pretrain", "2-3", PretrainFile.FileName)));
        var report = File.ReadAllText(Path.Combine(o.Out, "report.md"));
        Assert.Contains("The speech tokenizer has 3 RVQ layers, not SpeechTokenizer's 8: audio-lasso, audio-lasso-nopt and audio-random use layers 2–3 " +
                        "(all but the first), audio-lasso-8 all of them (1–3)", report);
        Assert.Contains("| selection 2-3 |", report);
    }

    [Fact]
    public void C_choice_prefers_best_inner_f1_inside_the_token_range()
    {
        var pts = new[]
        {
            new CSweepPoint(0.01, 0.5, 3), new CSweepPoint(0.1, 0.7, 40), new CSweepPoint(1, 0.9, 900),
            new CSweepPoint(0.03, 0.7, 20),
        };
        Assert.Equal(0.03, CChoice.Choose(pts, 10, 400)); // 0.7 tie → fewer tokens; 0.9 is outside the range
        Assert.Equal(0.01, CChoice.Choose(pts.Take(1).Append(pts[2]).ToList(), 10, 400)); // none inside → closest to the range
        Assert.Throws<SpeechTokException>(() => CChoice.Choose([new CSweepPoint(1, 0, 0)], 10, 400));
    }

    [Fact]
    public void Token_range_is_about_one_percent_of_the_token_types_in_train()
    {
        Assert.Equal((16, 82), ExperimentPreset.Quick.TokenRange(8192)); // the paper's ~1 % (73–80 tokens)
        Assert.Equal((16, 60), ExperimentPreset.Paper.TokenRange(6020));
        Assert.Equal((16, 16), ExperimentPreset.Quick.TokenRange(300)); // never below the minimum
        var sweep = ExperimentPreset.Quick.SweepC;
        Assert.Equal(0.002, sweep[0]);
        Assert.All(sweep.Zip(sweep.Skip(1)), p => Assert.Equal(1.25, p.Second / p.First, 3));
    }
}
