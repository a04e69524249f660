using System.Text.Json.Nodes;
using SpeechTok.Audio;
using SpeechTok.Experiments.Demo;

namespace SpeechTok.Tests.Experiments;

public sealed class DemoDatasetTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "speechtok-demo-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private static readonly DemoOptions Tiny = new() { Count = 24, Seed = 3 };

    [Fact]
    public void TinyDatasetLoadsAsManifestWith16kMonoClips()
    {
        var info = DemoDataset.Build(_dir, Tiny);
        Assert.False(info.Skipped);
        var m = Manifest.Load(info.ManifestPath);
        Assert.Equal(24, m.Samples.Count);
        Assert.Equal(4, m.NumClasses);
        Assert.Equal(TaskKind.Multiclass, m.Task);
        Assert.Equal(m.Task, Tiny.Task); // what demo checks its --metric-for-best-model against before building
        Assert.Empty(m.MissingClips());
        foreach (var split in Manifest.SplitNames)
            Assert.Equal(4, m.Split(split).Select(s => s.Label).Distinct().Count()); // stratified: every class in every split
        Assert.Equal(16, m.Split("train").Count);
        foreach (var s in m.Samples)
        {
            var wav = WavReader.ReadHeader(s.AudioPaths.Single());
            Assert.Equal((16000, 1, 16), (wav.SampleRate, wav.Channels, wav.BitsPerSample));
            Assert.InRange(wav.Frames / 16000.0, 0.5, 4.0);
        }
        Assert.Equal(24, info.ClassCounts.Values.Sum(c => c.Sum()));
        Assert.Equal(info.ClassNames, m.LabelNames); // the sidecar next to the manifest
    }

    [Fact]
    public void Multi_label_dataset_is_a_labels_manifest()
    {
        var info = DemoDataset.Build(_dir, Tiny with { Labeling = DemoLabeling.MultiLabel });
        var m = Manifest.Load(info.ManifestPath);
        Assert.Equal(TaskKind.Multilabel, m.Task);
        Assert.Equal(m.Task, (Tiny with { Labeling = DemoLabeling.MultiLabel }).Task);
        Assert.Equal(["negative-words", "high-pitch", "fast", "loud"], m.LabelNames);
        Assert.Equal(4, m.NumClasses);
        Assert.Empty(m.MissingClips());
    }

    [Fact]
    public void TextIsUninformativeAboutTheVoice()
    {
        // Every text occurs once calm and once excited, in the same split; its polarity never changes.
        var plan = DemoCorpus.Plan(new DemoOptions { Count = 96, Seed = 11 });
        foreach (var g in plan.GroupBy(u => u.Text))
        {
            Assert.Equal(2, g.Count());
            Assert.Equal([0, 1], g.Select(u => u.Arousal).Order());
            Assert.Single(g.Select(u => u.Split).Distinct());
            Assert.Single(g.Select(u => u.Polarity).Distinct());
        }
        // Under the binary labeling every text appears in both classes.
        var binary = DemoCorpus.Plan(new DemoOptions { Count = 96, Seed = 11, Labeling = DemoLabeling.Incongruent });
        Assert.All(binary.GroupBy(u => u.Text), g => Assert.Equal([0, 1], g.Select(u => u.Labels.Single()).Order()));
    }

    [Fact]
    public void Multi_label_plan_labels_the_words_and_three_independent_voice_factors()
    {
        var plan = DemoCorpus.Plan(new DemoOptions { Seed = 5, Labeling = DemoLabeling.MultiLabel });
        Assert.Equal(["negative-words", "high-pitch", "fast", "loud"], DemoCorpus.ClassNames(DemoLabeling.MultiLabel));
        foreach (var u in plan)
        {
            Assert.Equal(u.Polarity == DemoCorpus.Negative, u.Labels.Contains(0));
            Assert.Equal(u.Pitch >= 70, u.Labels.Contains(1));
            Assert.Equal(u.Speed >= 200, u.Labels.Contains(2));
            Assert.Equal(u.Amplitude >= 95, u.Labels.Contains(3));
        }
        // Each voice factor on for about a third of the clips; some clips carry no label at all.
        for (int c = 1; c <= 3; c++) Assert.InRange(plan.Count(u => u.Labels.Contains(c)) / (double)plan.Count, 0.25, 0.42);
        Assert.InRange(plan.Count(u => u.Labels.Length == 0), 20, 120);
        // The words say nothing about the voice: a text's two renderings draw their factors independently.
        Assert.Contains(plan.GroupBy(u => u.Text), g => !g.First().Labels.SequenceEqual(g.Last().Labels));
        Assert.All(plan.GroupBy(u => u.Text), g => Assert.Equal(2, g.Count()));
    }

    [Fact]
    public void ProsodyDiffersByArousalButVariesWithinIt()
    {
        var plan = DemoCorpus.Plan(new DemoOptions { Seed = 5 });
        Assert.Equal(480, plan.Count);
        var calm = plan.Where(u => u.Arousal == DemoCorpus.Calm).ToList();
        var excited = plan.Where(u => u.Arousal == DemoCorpus.Excited).ToList();
        Assert.True(calm.Max(u => u.Pitch) < excited.Min(u => u.Pitch));
        Assert.True(calm.Max(u => u.Speed) < excited.Min(u => u.Speed));
        Assert.True(calm.Select(u => u.Pitch).Distinct().Count() > 10);
        Assert.True(calm.Select(u => u.Voice).Distinct().Count() > 3); // voices are not one constant per class
    }

    [Fact]
    public void SameSeedSameManifestAndRebuildIsSkipped()
    {
        var a = DemoDataset.Build(Path.Combine(_dir, "a"), Tiny);
        var b = DemoDataset.Build(Path.Combine(_dir, "b"), Tiny);
        Assert.Equal(File.ReadAllText(a.ManifestPath), File.ReadAllText(b.ManifestPath));
        var clipA = Path.Combine(_dir, "a", "clips", "u0005.wav");
        Assert.Equal(File.ReadAllBytes(clipA), File.ReadAllBytes(Path.Combine(_dir, "b", "clips", "u0005.wav")));

        var stamp = File.GetLastWriteTimeUtc(clipA);
        var again = DemoDataset.Build(Path.Combine(_dir, "a"), Tiny);
        Assert.True(again.Skipped);
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(clipA));

        var other = DemoCorpus.Plan(Tiny with { Seed = 4 });
        Assert.NotEqual(DemoCorpus.Plan(Tiny).Select(u => u.Text), other.Select(u => u.Text));
    }

    [Fact]
    public void InterruptedBuildResumesAFinishedOneIsNotReplacedAndAnUnfinishedOneIsRebuiltForOtherOptions()
    {
        var first = DemoDataset.Build(_dir, Tiny);
        var manifest = File.ReadAllText(first.ManifestPath);
        File.Delete(Path.Combine(_dir, DemoDataset.InfoFile));
        File.Delete(Path.Combine(_dir, "clips", "u0003.wav"));
        var resumed = DemoDataset.Build(_dir, Tiny);
        Assert.False(resumed.Skipped);
        Assert.True(File.Exists(Path.Combine(_dir, "clips", "u0003.wav")));
        Assert.Equal(manifest, File.ReadAllText(resumed.ManifestPath));

        var e = Assert.Throws<SpeechTokException>(() => DemoDataset.Build(_dir, Tiny with { Labeling = DemoLabeling.Incongruent }));
        Assert.Contains("holds a demo dataset built with other options", e.Message);
        Assert.Equal(manifest, File.ReadAllText(resumed.ManifestPath));
        Assert.True(DemoDataset.Build(_dir, Tiny).Skipped); // untouched

        File.Delete(Path.Combine(_dir, DemoDataset.InfoFile)); // unfinished: its clips are intermediate
        var binary = DemoDataset.Build(_dir, Tiny with { Labeling = DemoLabeling.Incongruent });
        Assert.False(binary.Skipped);
        Assert.NotEqual(first.OptionsHash, binary.OptionsHash);
        Assert.Equal(TaskKind.Binary, Manifest.Load(binary.ManifestPath).Task);
        Assert.Equal(TaskKind.Binary, (Tiny with { Labeling = DemoLabeling.Incongruent }).Task);
    }

    /// <summary>
    /// A demo.json that did not read was taken for an unfinished build and built over, though a finished dataset of other
    /// options is never replaced (results computed on it would be reported for other clips): it is an error naming the
    /// file and field now. One written before the format tag still marks the build complete.
    /// </summary>
    [Fact]
    public void A_damaged_demo_json_is_named_and_one_without_the_format_tag_still_marks_the_build_complete()
    {
        DemoDataset.Build(_dir, Tiny);
        string info = Path.Combine(_dir, DemoDataset.InfoFile);
        var o = JsonNode.Parse(File.ReadAllText(info))!.AsObject();
        o.Remove("format");
        o.Remove("format_version");
        File.WriteAllText(info, o.ToJsonString());
        Assert.True(DemoDataset.Build(_dir, Tiny).Skipped);

        o["clips"] = "24";
        File.WriteAllText(info, o.ToJsonString());
        var e = Assert.Throws<SpeechTokException>(() => DemoDataset.Build(_dir, Tiny));
        Assert.Contains($"{info}: invalid demo dataset JSON at $.clips", e.Message);
        Assert.Contains($"delete {DemoDataset.InfoFile} to build the dataset in {_dir} again", e.Message);
        File.WriteAllText(info, "{\"manifest_path\": ");
        Assert.Contains(info, Assert.Throws<SpeechTokException>(() => DemoDataset.Build(_dir, Tiny with { Seed = 4 })).Message);
    }

    /// <summary>A build killed while writing a clip left its temp file (.u0007.wav.PID.GUID.tmp) in clips/ for good; the next build removes it.</summary>
    [Fact]
    public void A_rerun_removes_the_temp_files_of_clips_a_killed_build_was_writing()
    {
        DemoDataset.Build(_dir, Tiny);
        File.Delete(Path.Combine(_dir, DemoDataset.InfoFile)); // unfinished, as a killed build leaves it
        string tmp = Path.Combine(_dir, "clips", $".u0007.wav.4242.{Guid.NewGuid():N}.tmp");
        File.WriteAllBytes(tmp, [1, 2, 3]);
        Assert.False(DemoDataset.Build(_dir, Tiny).Skipped);
        Assert.False(File.Exists(tmp));
    }

    [Fact]
    public void MissingEspeakSaysHowToInstallIt()
    {
        var e = Assert.Throws<SpeechTokException>(() => DemoDataset.Build(_dir, Tiny with { EspeakCommand = "espeak-ng-not-installed-xyz" }));
        Assert.Contains("apt-get install espeak-ng", e.Message);
    }

    [Fact]
    public void AFailingClipIsReportedAsAPlainError()
    {
        // `echo` answers `--version` but writes no WAV: the failure inside the parallel loop must surface unwrapped.
        var e = Assert.Throws<SpeechTokException>(() => DemoDataset.Build(_dir, Tiny with { SoxCommand = "echo" }));
        Assert.Contains("was not written", e.Message);
        Assert.False(File.Exists(Path.Combine(_dir, DemoDataset.InfoFile)));
    }

    [Fact]
    public void BadCountIsRejected()
    {
        Assert.Throws<SpeechTokException>(() => DemoDataset.Build(_dir, new DemoOptions { Count = 30 }));
        Assert.Throws<SpeechTokException>(() => DemoDataset.Build(_dir, new DemoOptions { Count = 8 }));
    }
}
