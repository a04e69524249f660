using SpeechTok.Audio;
using SpeechTok.IO;
using SpeechTok.Experiments.Mosei;

namespace SpeechTok.Tests.Experiments;

/// <summary>The CMU-MOSEI converter on a small table and two "videos" we make.</summary>
public sealed class MoseiTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mosei-").FullName;
    private string Audio => Path.Combine(_dir, "audio");

    public MoseiTests()
    {
        Directory.CreateDirectory(Audio);
        // v1: 3 s, v2: 2 s; a ramp so every cut can be checked sample by sample.
        foreach (var (video, seconds) in new[] { ("v1", 3), ("v2", 2) })
            WavWriter.Write(Path.Combine(Audio, video + ".wav"), Enumerable.Range(0, seconds * 16000).Select(i => (i % 1000) / 2000f).ToArray(), 16000);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private const string Header = "video_id,segment_id,start,end,text,sentiment,happy,sad,anger,surprise,disgust,fear";

    private string Table(string[] rows, bool split = true)
    {
        var path = Path.Combine(_dir, "table.csv");
        File.WriteAllLines(path, [Header + (split ? ",split" : ""), .. rows]);
        return path;
    }

    private static readonly string[] Rows =
    [
        "v1,0,0.0,1.0,\"what a good day, really\",1.5,0.66,0,0,0,0,0,train",
        "v1,1,1.0,2.5,this is bad,-0.4,0,1,0.33,0,0,0,train",
        "v2,0,0.25,1.25,fine,0.0,0,0,0,0,0,0,valid",
        "v2,1,1.0,2.3,so so,-2,0,0.5,0,0,1.66,0.33,test",
    ];

    private MoseiOptions Options(string table, MoseiTask task) => new() { Table = table, AudioDir = Audio, Out = Path.Combine(_dir, "out"), Task = task };

    [Fact]
    public void Sent_and_emo_manifests_with_clips_cut_from_the_videos()
    {
        var table = Table(Rows);
        var sent = MoseiConverter.Convert(Options(table, MoseiTask.Sent));
        Assert.Equal(4, sent.ClipsCut);
        var m = Manifest.Load(sent.ManifestPath);
        Assert.Equal(TaskKind.Binary, m.Task);
        Assert.Equal(["negative", "positive"], m.LabelNames);
        Assert.Equal([1, 0, 1, 0], m.Samples.Select(s => s.Label)); // sentiment ≥ 0 is positive, 0 included
        Assert.Equal(["train", "train", "val", "test"], m.Samples.Select(s => s.Split));
        Assert.Equal("what a good day, really", m.Samples[0].Text);
        Assert.Equal("v2_0", m.Samples[2].Id);
        // Clip = the video's samples [start, end), clamped at the end of the audio (v2 lasts 2 s, the segment says 2.3).
        var (full, _) = WavReader.Read(Path.Combine(Audio, "v2.wav"));
        var (clip, rate) = WavReader.Read(m.Samples[2].AudioPaths.Single());
        Assert.Equal(16000, rate);
        Assert.Equal(full.AsSpan(4000, 16000).ToArray(), clip);
        Assert.Equal(16000, WavReader.Read(m.Samples[3].AudioPaths.Single()).Samples.Length);

        var emo = MoseiConverter.Convert(Options(table, MoseiTask.Emo));
        Assert.Equal(0, emo.ClipsCut); // the clips are shared with SENT
        var e = Manifest.Load(emo.ManifestPath);
        Assert.Equal(TaskKind.Multilabel, e.Task);
        Assert.Equal(MoseiConverter.Emotions, e.LabelNames);
        Assert.Equal(6, e.NumClasses);
        Assert.Equal([[0], [1, 2], [], [1, 4, 5]], e.Samples.Select(s => s.Labels));
        Assert.EndsWith("emo.csv", emo.ManifestPath);
    }

    /// <summary>A rerun kept every clip already there: an edited segment or a replaced video kept its old, now wrong, clip.</summary>
    [Fact]
    public void A_clip_is_cut_again_when_its_segment_or_video_changes()
    {
        var o = Options(Table(Rows), MoseiTask.Sent);
        Assert.Equal(4, MoseiConverter.Convert(o).ClipsCut);
        Assert.Equal(0, MoseiConverter.Convert(o).ClipsCut);
        var edited = Rows.ToArray();
        edited[0] = edited[0].Replace("v1,0,0.0,1.0,", "v1,0,2.0,3.0,");
        var m = Manifest.Load(MoseiConverter.Convert(o with { Table = Table(edited) }).ManifestPath);
        var (full, _) = WavReader.Read(Path.Combine(Audio, "v1.wav"));
        Assert.Equal(full.AsSpan(32000, 16000).ToArray(), WavReader.Read(m.Samples[0].AudioPaths.Single()).Samples);
        // the video replaced by another recording (same name): its two clips are cut again
        WavWriter.Write(Path.Combine(Audio, "v2.wav"), Enumerable.Range(0, 2 * 16000).Select(i => (i % 700) / 1400f).ToArray(), 16000);
        File.SetLastWriteTimeUtc(Path.Combine(Audio, "v2.wav"), DateTime.UtcNow.AddMinutes(1));
        Assert.Equal(2, MoseiConverter.Convert(o).ClipsCut);
    }

    /// <summary>A segment past its video's end (or too short) is refused before any clip is cut: a bad row late in the
    /// table used to stop the run after the clips of the rows before it. A run that stops part-way resumes clip by clip.</summary>
    [Fact]
    public void A_bad_segment_is_refused_before_any_clip_is_cut_and_a_stopped_run_resumes_clip_by_clip()
    {
        string[] rows = ["v1,0,0.0,1.0,a,1,0,0,0,0,0,0,train", "v2,0,0.0,0.5,b,1,0,0,0,0,0,0,train", "v2,1,0.5,1.0,c,1,0,0,0,0,0,0,val", "v2,2,1.0,3.9,d,-1,0,0,0,0,0,0,test"];
        var e = Assert.Throws<SpeechTokException>(() => MoseiConverter.Convert(Options(Table(rows), MoseiTask.Sent)));
        Assert.Contains("table.csv:5: segment 2 ends at 3.9 s but the audio of video v2 lasts 2.00 s", e.Message);
        Assert.False(Directory.Exists(Path.Combine(_dir, "out")));
        rows[3] = "v2,2,1.0,1.9,d,-1,0,0,0,0,0,0,test";
        Assert.Equal(4, MoseiConverter.Convert(Options(Table(rows), MoseiTask.Sent)).ClipsCut);
        File.Delete(Path.Combine(_dir, "out", "clips", "v2_1.wav.source")); // killed between a clip and its record
        Assert.Equal(1, MoseiConverter.Convert(Options(Table(rows), MoseiTask.Sent)).ClipsCut);
    }

    /// <summary>Two runs into one folder at once cut the same clips twice; with different tables a clip could end up beside
    /// the other run's record of what it was cut from.</summary>
    [Fact]
    public void A_second_run_into_the_same_folder_is_refused_while_the_first_writes()
    {
        string outDir = Path.Combine(_dir, "out");
        Directory.CreateDirectory(outDir);
        using (new FileStream(Path.Combine(outDir, FolderLock.FileName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None)) // the first run
        {
            var e = Assert.Throws<SpeechTokException>(() => MoseiConverter.Convert(Options(Table(Rows), MoseiTask.Sent)));
            Assert.StartsWith($"another process is writing {outDir}", e.Message);
            Assert.Empty(Directory.GetFiles(Path.Combine(outDir, "clips")));
        }
        Assert.Equal(4, MoseiConverter.Convert(Options(Table(Rows), MoseiTask.Sent)).ClipsCut);
        Assert.Equal(0, MoseiConverter.Convert(Options(Table(Rows), MoseiTask.Emo)).ClipsCut);
    }

    /// <summary>The lock must be exclusive: a converter that took a shared lock passed the test above (whose stand-in
    /// holds an exclusive one) but would run beside another shared holder. On Linux and macOS .NET takes flock LOCK_SH
    /// for any FileShare but None, so this stand-in holds a shared lock, which only an exclusive request conflicts with.</summary>
    [Fact]
    public void A_run_is_refused_while_another_holds_even_a_shared_lock_on_the_folder()
    {
        string outDir = Path.Combine(_dir, "out");
        Directory.CreateDirectory(outDir);
        using (new FileStream(Path.Combine(outDir, FolderLock.FileName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite))
        {
            var e = Assert.Throws<SpeechTokException>(() => MoseiConverter.Convert(Options(Table(Rows), MoseiTask.Sent)));
            Assert.StartsWith($"another process is writing {outDir}", e.Message);
            Assert.Empty(Directory.GetFiles(Path.Combine(outDir, "clips")));
        }
        Assert.Equal(4, MoseiConverter.Convert(Options(Table(Rows), MoseiTask.Sent)).ClipsCut);
    }

    [Fact]
    public void Folds_file_splits_by_video_and_neutral_segments_can_be_dropped()
    {
        var table = Table(Rows.Select(r => r[..r.LastIndexOf(',')]).Append("v3,0,0,1,left out,1,0,0,0,0,0,0").ToArray(), split: false);
        var folds = Path.Combine(_dir, "folds.json");
        File.WriteAllText(folds, """{"train": ["v1"], "valid": [], "test": ["v2"]}""");
        var o = Options(table, MoseiTask.Sent) with { Folds = folds, ExcludeNeutral = true };
        var r = MoseiConverter.Convert(o);
        Assert.Equal(1, r.NotInFolds); // v3 has no audio either: it is never looked for
        Assert.Equal(1, r.Neutral);
        Assert.Equal(2, r.Samples["train"]);
        Assert.Equal(0, r.Samples["val"]);
        Assert.Equal(1, r.Samples["test"]);
        Assert.Contains("--folds", Assert.Throws<SpeechTokException>(() => MoseiConverter.Convert(o with { Folds = null })).Message);
    }

    [Fact]
    public void Bad_tables_and_missing_audio_are_clear_errors()
    {
        // ids that only differ where the file-name form of a clip joins or rewrites them would share one clip
        var shared = Assert.Throws<SpeechTokException>(() => MoseiConverter.Convert(Options(Table(["v1,a_b,0,1,x,1,0,0,0,0,0,0,train", "v1_a,b,0,1,y,1,0,0,0,0,0,0,train"]), MoseiTask.Sent)));
        Assert.Equal($"{Path.Combine(_dir, "table.csv")}:3: segment v1_a/b and segment v1/a_b (line 2) would share the clip clips/v1_a_b.wav; make their ids distinct", shared.Message);
        // options that would be ignored, and label columns the task does not use
        var table = Table(Rows);
        File.WriteAllText(Path.Combine(_dir, "f.json"), "{\"train\": [\"v1\"], \"valid\": [], \"test\": [\"v2\"]}");
        Assert.Contains("has a 'split' column and --folds", Assert.Throws<SpeechTokException>(() => MoseiConverter.Convert(Options(table, MoseiTask.Sent) with { Folds = Path.Combine(_dir, "f.json") })).Message);
        Assert.StartsWith("--exclude-neutral is for --task Sent", Assert.Throws<SpeechTokException>(() => MoseiConverter.Convert(Options(table, MoseiTask.Emo) with { ExcludeNeutral = true })).Message);
        var nanFear = Table([.. Rows.Take(3), "v2,1,1.0,2.3,so so,-2,0,0.5,0,0,1.66,nan,test"]);
        Assert.Equal(4, Manifest.Load(MoseiConverter.Convert(Options(nanFear, MoseiTask.Sent) with { Out = Path.Combine(_dir, "nan") }).ManifestPath).Samples.Count);
        Assert.Contains("column 'fear' is 'nan', expected a number ≥ 0", Assert.Throws<SpeechTokException>(() => MoseiConverter.Convert(Options(nanFear, MoseiTask.Emo) with { Out = Path.Combine(_dir, "nan") })).Message);
        File.WriteAllText(Path.Combine(_dir, "afile"), "");
        Assert.EndsWith("is a file, not a folder: mosei writes a folder", Assert.Throws<SpeechTokException>(() => MoseiConverter.Convert(Options(table, MoseiTask.Sent) with { Out = Path.Combine(_dir, "afile") })).Message);
        File.Copy(Path.Combine(Audio, "v1.wav"), Path.Combine(Audio, "v3.flac"));
        File.Copy(Path.Combine(Audio, "v1.wav"), Path.Combine(Audio, "v3.ogg"));
        Assert.Contains("video v3 has 2 audio files", Assert.Throws<SpeechTokException>(() => MoseiConverter.Convert(Options(Table(["v3,0,0,1,x,1,0,0,0,0,0,0,train"]), MoseiTask.Sent))).Message);

        var e = Assert.Throws<SpeechTokException>(() => MoseiConverter.Convert(Options(Table([Rows[0], "v1,1,1,2,x,4.5,0,0,0,0,0,0,train"]), MoseiTask.Sent)));
        Assert.Contains("table.csv:3: column 'sentiment' is '4.5'", e.Message);
        e = Assert.Throws<SpeechTokException>(() => MoseiConverter.Convert(Options(Table([Rows[0], "v9,0,0,1,x,1,0,0,0,0,0,0,test", "v8,0,0,1,x,1,0,0,0,0,0,0,test"]), MoseiTask.Sent)));
        Assert.Contains("2 video(s)", e.Message);
        Assert.Contains("v9", e.Message);
        Assert.Contains("v8", e.Message);
        e = Assert.Throws<SpeechTokException>(() => MoseiConverter.Convert(Options(Table(["v2,0,1,3.5,x,1,0,0,0,0,0,0,train"]), MoseiTask.Sent)));
        Assert.Contains("table.csv:2: segment 0 ends at 3.5 s but the audio of video v2 lasts 2.00 s", e.Message);
        e = Assert.Throws<SpeechTokException>(() => MoseiConverter.Convert(Options(Table(["v2,0,1,0.5,x,1,0,0,0,0,0,0,train"]), MoseiTask.Sent)));
        Assert.Contains("end 0.5 is not after start 1", e.Message);
        File.WriteAllLines(Path.Combine(_dir, "t2.csv"), ["video_id,segment_id,start,end,text,sentiment,split", "v1,0,0,1,x,1,train"]);
        e = Assert.Throws<SpeechTokException>(() => MoseiConverter.Convert(Options(Path.Combine(_dir, "t2.csv"), MoseiTask.Emo)));
        Assert.Contains("required column 'happy'", e.Message);
    }

    /// <summary>A video id was a file-name pattern: '*' and '?' in it matched another video's audio (v*C cut its clips from
    /// vidC.wav), and an id with '/' failed with the system's "Could not find a part of the path", naming no table line.</summary>
    [Fact]
    public void A_video_id_names_its_audio_file_exactly_and_one_that_is_a_path_is_refused()
    {
        File.Copy(Path.Combine(Audio, "v1.wav"), Path.Combine(Audio, "vidC.wav"));
        var e = Assert.Throws<SpeechTokException>(() => MoseiConverter.Convert(Options(Table(["v*C,0,0,1,x,1,0,0,0,0,0,0,train"]), MoseiTask.Sent)));
        Assert.Contains("v*C", e.Message); // no audio (or, on Windows, no file name can hold '*')
        Assert.False(Directory.Exists(Path.Combine(_dir, "out", "clips"))); // refused before any clip is cut
        foreach (var (id, c) in new[] { ("sub/v1", '/'), ("sub\\v1", '\\') })
        {
            string table = Table([Rows[0], $"{id},0,0,1,x,1,0,0,0,0,0,0,train"]);
            e = Assert.Throws<SpeechTokException>(() => MoseiConverter.Convert(Options(table, MoseiTask.Sent)));
            Assert.Equal($"{table}:3: video_id '{id}' holds '{c}', which a file name cannot: its audio is looked for as VIDEO_ID.wav in --audio-dir", e.Message);
        }
    }

    /// <summary>Every segment dropped by --exclude-neutral was reported as "none of their videos is in a fold", folds or not.</summary>
    [Fact]
    public void A_run_that_keeps_no_segment_says_why()
    {
        string table = Table(["v1,0,0,1,x,0,0,0,0,0,0,0,train", "v2,0,0,1,y,0,0,0,0,0,0,0,test"]);
        var e = Assert.Throws<SpeechTokException>(() => MoseiConverter.Convert(Options(table, MoseiTask.Sent) with { ExcludeNeutral = true }));
        Assert.Equal($"{table}: no segment left: 2 neutral (sentiment 0) dropped by --exclude-neutral", e.Message);
        table = Table(["v1,0,0,1,x,0,0,0,0,0,0,0", "v3,0,0,1,y,1,0,0,0,0,0,0"], split: false);
        string folds = Path.Combine(_dir, "folds.json");
        File.WriteAllText(folds, """{"train": ["v1"], "valid": [], "test": ["v2"]}""");
        e = Assert.Throws<SpeechTokException>(() => MoseiConverter.Convert(Options(table, MoseiTask.Sent) with { Folds = folds, ExcludeNeutral = true }));
        Assert.Equal($"{table}: no segment left: 1 neutral (sentiment 0) dropped by --exclude-neutral, 1 of a video in no fold of {folds}", e.Message);
    }

    /// <summary>A column named twice (also in other case: names are compared lower-cased) was read from its first place only.</summary>
    [Fact]
    public void A_column_named_twice_in_the_header_is_refused()
    {
        string table = Path.Combine(_dir, "twice.csv");
        File.WriteAllLines(table, [Header + ",split,sentiment", Rows[0] + ",-1"]);
        Assert.Equal($"{table}:1: column 'sentiment' appears 2 times in the header; which one is meant is ambiguous",
            Assert.Throws<SpeechTokException>(() => MoseiConverter.Convert(Options(table, MoseiTask.Sent))).Message);
        File.WriteAllLines(table, ["video_id,segment_id,start,end,text,Sentiment,sentiment,split", "v1,0,0,1,x,1,-1,train"]);
        Assert.Equal($"{table}:1: column 'sentiment' appears 2 times in the header (as 'Sentiment', 'sentiment'); which one is meant is ambiguous",
            Assert.Throws<SpeechTokException>(() => MoseiConverter.Convert(Options(table, MoseiTask.Sent))).Message);
    }

    /// <summary>SENT and EMO share clips: converting one task from a table that gives a segment other times cut again the
    /// clip the other task's manifest lists, changing that manifest's data without a word.</summary>
    [Fact]
    public void A_clip_the_other_tasks_manifest_lists_is_not_cut_again_from_another_cut()
    {
        string outDir = Path.Combine(_dir, "out"), sent = MoseiConverter.Convert(Options(Table(Rows), MoseiTask.Sent)).ManifestPath;
        var edited = Rows.ToArray();
        edited[0] = edited[0].Replace("v1,0,0.0,1.0,", "v1,0,2.0,3.0,");
        edited[1] = edited[1].Replace("v1,1,1.0,2.5,", "v1,1,1.5,2.5,");
        string table = Table(edited), clip = Path.Combine(outDir, "clips", "v1_0.wav");
        var before = File.ReadAllBytes(clip);
        var e = Assert.Throws<SpeechTokException>(() => MoseiConverter.Convert(Options(table, MoseiTask.Emo)));
        Assert.Equal($"{table}:2: segment v1/0 would cut clips/v1_0.wav again (its times or its video differ from the cut {clip}.source records), " +
            $"but {sent} lists that clip (and 1 more clip of this table): cutting it would change that manifest's data. Convert tables that disagree " +
            "into separate --out folders; or, if that manifest is stale, delete it and convert --task Sent again after this run", e.Message);
        Assert.Equal(before, File.ReadAllBytes(clip));
        Assert.False(File.Exists(Path.Combine(outDir, "emo.csv")));
        // the same table shares every clip, a folder of its own takes the other, and so does this one once the stale manifest is gone
        Assert.Equal(0, MoseiConverter.Convert(Options(Table(Rows), MoseiTask.Emo)).ClipsCut);
        Assert.Equal(4, MoseiConverter.Convert(Options(Table(edited), MoseiTask.Emo) with { Out = Path.Combine(_dir, "edited") }).ClipsCut);
        File.Delete(sent);
        Assert.Equal(2, MoseiConverter.Convert(Options(Table(edited), MoseiTask.Emo)).ClipsCut);
        var (full, _) = WavReader.Read(Path.Combine(Audio, "v1.wav"));
        Assert.Equal(full.AsSpan(32000, 16000).ToArray(), WavReader.Read(clip).Samples);
    }
}
