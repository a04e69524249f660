using SpeechTok.Audio;
using SpeechTok.Tests.Conformance;

namespace SpeechTok.Tests.Audio;

public sealed class ManifestTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("manifest-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string content)
    {
        var p = Path.Combine(_dir, "m.csv");
        File.WriteAllText(p, content);
        return p;
    }

    [Fact]
    public void ParsesQuotedFieldsMultiClipAndIndexByPosition()
    {
        var p = Write("split,text,audio_path_list,label,extra\ntrain,\"Hello, \"\"world\"\"\nagain\",a.wav|b/c.wav,1,x\ntrain,plain,d.wav,0,y\ntest,t,e.wav,1,z\n");
        var m = Manifest.Load(p);
        Assert.Equal(3, m.Samples.Count);
        var s = m.Samples[0];
        Assert.Equal("Hello, \"world\"\nagain", s.Text);
        Assert.Equal([Path.Combine(_dir, "a.wav"), Path.Combine(_dir, "b", "c.wav")], s.AudioPaths);
        Assert.Equal(4, m.Samples[1].Line); // the quoted newline makes the second record start on line 4
        Assert.Equal("train/1", m.Samples[1].Key);
        Assert.Equal("test/0", m.Samples[2].Key);
        Assert.Equal(TaskKind.Binary, m.Task);
    }

    /// <summary>A quote left open made the next rows one field: the error was "N fields but the header has M" at its line.</summary>
    [Fact]
    public void AnUnterminatedQuoteIsNamedWhereItOpened()
    {
        var p = Write("split,text,audio_path_list,label\ntrain,\"oops,a.wav,1\ntrain,\"fine, really\",b.wav,0\n");
        Assert.Equal($"{p}: unterminated quote: the quoted field opened at line 2 (column 7) is never closed "
            + "(the next quote, at line 3 column 7, is followed by 'f', not by a comma or the line end)", Assert.Throws<SpeechTokException>(() => Manifest.Load(p)).Message);
        p = Write("split,text,audio_path_list,label\ntrain,a,a.wav,1\r\ntrain,\"oops,b.wav,0\r\ntrain,c,c.wav,0\r\n");
        Assert.Equal($"{p}: unterminated quote: the quoted field opened at line 3 (column 7) is never closed", Assert.Throws<SpeechTokException>(() => Manifest.Load(p)).Message);
        // a row that is short or long keeps its message
        p = Write("split,text,audio_path_list,label\ntrain,a,a.wav\n");
        Assert.Equal($"{p}:2: 3 fields but the header has 4", Assert.Throws<SpeechTokException>(() => Manifest.Load(p)).Message);
    }

    /// <summary>Every missing clip was listed: 1,660 lines for a dataset whose audio was elsewhere.</summary>
    [Fact]
    public void MissingClipsAreListedUpToTwentyWithTheCountOfTheRest()
    {
        var p = Write("split,text,audio_path_list,label\n" + string.Concat(Enumerable.Range(0, 25).Select(i => $"train,t{i},c{i}.wav,{i % 2}\n")));
        var lines = Assert.Throws<SpeechTokException>(() => Manifest.Load(p).RequireClips()).Message.Split('\n');
        Assert.StartsWith($"{p}: 25 clip problem(s) (25 missing, 0 unreadable, 0 empty)", lines[0]);
        Assert.Equal(20, lines.Count(l => l.EndsWith(".wav", StringComparison.Ordinal)));
        Assert.EndsWith("c19.wav", lines[^3]);
        Assert.Equal("  … and 5 more", lines[^2]);
        // not one clip found: the likely cause is the root, which the message names (a forgotten or wrong --audio-root)
        Assert.Equal("none of the 25 clips is under the manifest's folder: pass --audio-root DIR, the folder its audio_path_list paths are relative to", lines[^1]);
        File.WriteAllBytes(Path.Combine(_dir, "c0.wav"), []); // one clip there (empty): the clips are not all missing, no hint
        Assert.DoesNotContain("none of the", Assert.Throws<SpeechTokException>(() => Manifest.Load(p).RequireClips()).Message);
    }

    [Fact]
    public void InvalidUtf8IsRefusedNamingTheLineWhileBomAndUtf16AreRead()
    {
        var p = Path.Combine(_dir, "m.csv");
        var good = "split,text,audio_path_list,label\ntrain,caf\u00e9 ok,a.wav,1\ntrain,plain,b.wav,0\n";
        var latin1 = System.Text.Encoding.Latin1.GetBytes(good); // é as the single byte 0xE9 on line 2
        File.WriteAllBytes(p, latin1);
        var e = Assert.Throws<SpeechTokException>(() => Manifest.Load(p));
        Assert.Contains("m.csv:2: not valid UTF-8 (byte 0xE9", e.Message);
        File.WriteAllBytes(p, [.. System.Text.Encoding.UTF8.GetPreamble(), .. System.Text.Encoding.UTF8.GetBytes(good)]);
        Assert.Equal("caf\u00e9 ok", Manifest.Load(p).Samples[0].Text);
        File.WriteAllBytes(p, [.. System.Text.Encoding.Unicode.GetPreamble(), .. System.Text.Encoding.Unicode.GetBytes(good)]);
        Assert.Equal("caf\u00e9 ok", Manifest.Load(p).Samples[0].Text);
    }

    [Fact]
    public void AnUnknownSplitNameAndAClassCountBelowOneAreNamed()
    {
        var p = Write("split,text,audio_path_list,label\ntrain,a,a.wav,1\ntrain,b,b.wav,0\n");
        Assert.Equal("split 'dev' is not one of train/val/test", Assert.Throws<SpeechTokException>(() => Manifest.Load(p).Split("dev")).Message);
        Assert.Contains("split 'test' is empty", Assert.Throws<SpeechTokException>(() => Manifest.Load(p).Split("test")).Message);
        Assert.StartsWith("class count 0", Assert.Throws<SpeechTokException>(() => Manifest.Load(p, numClasses: 0)).Message);
        var twice = Write("split,text,text,audio_path_list,label\ntrain,a,b,a.wav,1\n");
        Assert.EndsWith("m.csv:1: column 'text' appears 2 times in the header; which one is meant is ambiguous", Assert.Throws<SpeechTokException>(() => Manifest.Load(twice)).Message);
    }

    /// <summary>An --audio-root under which no clip of the manifest exists only warned (codes were then matched by file name).</summary>
    [Fact]
    public void An_audio_root_holding_none_of_the_clips_is_refused_but_the_default_root_is_not_checked()
    {
        var p = Write("split,text,audio_path_list,label\ntrain,a,a.wav|sub/b.wav,1\ntrain,b,c.wav,0\n");
        string empty = Directory.CreateDirectory(Path.Combine(_dir, "empty")).FullName;
        var e = Assert.Throws<SpeechTokException>(() => Manifest.Load(p, empty + "/"));
        Assert.Equal($"--audio-root '{empty}': none of the 3 clip(s) of {p} is there (e.g. {Path.Combine(empty, "a.wav")} is missing); give the folder its audio_path_list paths are relative to", e.Message);
        File.WriteAllText(Path.Combine(empty, "c.wav"), ""); // one clip is enough: the rest is for the commands that read them
        Assert.Equal(Path.Combine(empty, "c.wav"), Manifest.Load(p, empty).Samples[1].AudioPaths[0]);
        // the manifest's own folder holds no clip: loading without --audio-root, or naming that folder, is not checked
        Assert.Equal(2, Manifest.Load(p).Samples.Count);
        Assert.Equal(2, Manifest.Load(p, _dir + "/").Samples.Count);
    }

    /// <summary>A classic-Mac file (lone CR line ends) was read as one header line with duplicate columns.</summary>
    [Fact]
    public void LfCrlfAndLoneCrLineEndsReadTheSame()
    {
        const string rows = "split,text,audio_path_list,label|train,\"two|lines\",a.wav,1|train,b,b.wav,0|test,x,c.wav,1|";
        Manifest Read(string eol) => Manifest.Load(Write(rows.Replace("|", eol)));
        var lf = Read("\n");
        foreach (var eol in new[] { "\r\n", "\r" })
        {
            var m = Read(eol);
            Assert.Equal(lf.Samples.Select(s => (s.Line, s.Split, s.Label)), m.Samples.Select(s => (s.Line, s.Split, s.Label)));
            Assert.Equal($"two{eol}lines", m.Samples[0].Text);
            Assert.Equal(4, m.Samples[1].Line); // the quoted line break counts as a line
        }
        var e = Assert.Throws<SpeechTokException>(() => Manifest.Load(Write("split,text,audio_path_list,label\rtrain,a,a.wav,1\rtrain,b,b.wav,x\r")));
        Assert.Contains(":3", e.Message);
        var bad = Path.Combine(_dir, "latin1.csv");
        File.WriteAllBytes(bad, [.. "split,text,audio_path_list,label\r\ntrain,a,a.wav,1\rtrain,caf"u8, 0xE9, .. ",b.wav,0\r"u8]);
        Assert.StartsWith($"{bad}:3: not valid UTF-8", Assert.Throws<SpeechTokException>(() => Manifest.Load(bad)).Message);
    }

    [Fact]
    public void ErrorsNameLineAndColumn()
    {
        var e = Assert.Throws<SpeechTokException>(() => Manifest.Load(Write("split,text,audio_path_list,label\ntrain,a,a.wav,1\ntrain,b,b.wav,x\n")));
        Assert.Contains(":3:", e.Message);
        Assert.Contains("'label'", e.Message);
        e = Assert.Throws<SpeechTokException>(() => Manifest.Load(Write("split,text,label\ntrain,a,1\n")));
        Assert.Contains("audio_path_list", e.Message);
        e = Assert.Throws<SpeechTokException>(() => Manifest.Load(Write("split,text,audio_path_list,label\ndev,a,a.wav,1\n")));
        Assert.Contains(":2:", e.Message);
        e = Assert.Throws<SpeechTokException>(() => Manifest.Load(Write("split,text,audio_path_list,label\ntrain,a,a.wav,3\ntrain,a,a.wav,0\n"), numClasses: 3));
        Assert.Contains("outside 0..2", e.Message);
    }

    [Fact]
    public void EmptySplitAndClassAbsentFromTrainAreErrors()
    {
        var m = Manifest.Load(Write("split,text,audio_path_list,label\ntrain,a,a.wav,0\ntrain,b,b.wav,1\ntest,c,c.wav,2\n"));
        Assert.Equal(3, m.NumClasses);
        Assert.Equal(TaskKind.Multiclass, m.Task);
        Assert.Contains("'val' is empty", Assert.Throws<SpeechTokException>(() => m.Split("val")).Message);
        Assert.Contains("1 class(es) never occur in the train split: 2", Assert.Throws<SpeechTokException>(m.RequireAllClassesInTrain).Message);
    }

    /// <summary>A typo'd label (7 among 0..5) was reported as "class 6 never occurs", naming neither the 7 nor its line.</summary>
    [Fact]
    public void An_absent_class_names_the_largest_label_when_the_count_was_inferred_from_it()
    {
        var p = Write("split,text,audio_path_list,label\ntrain,a,a.wav,0\ntrain,b,b.wav,1\ntrain,c,c.wav,3\ntest,d,d.wav,1\n");
        Assert.Equal($"{p}: 1 class(es) never occur in the train split: 2 (K = 4 comes from the largest label, 3 on line 4; class ids are 0..K−1: "
            + "a typo there? A class-name file m.label_names.txt or --num-labels, where a command has it, fixes K and checks every id)", Assert.Throws<SpeechTokException>(Manifest.Load(p).RequireAllClassesInTrain).Message);
        // a given count says nothing of where it came from
        Assert.Equal($"{p}: 1 class(es) never occur in the train split: 2", Assert.Throws<SpeechTokException>(Manifest.Load(p, numClasses: 4).RequireAllClassesInTrain).Message);
    }

    /// <summary>Empty list items were dropped silently (<c>a.wav||b.wav</c>, <c>0;;2</c>); an id too large for an int was "not an integer".</summary>
    [Fact]
    public void Empty_list_items_and_huge_ids_are_refused_naming_the_line()
    {
        string Error(string csv) { var p = Write(csv); return Assert.Throws<SpeechTokException>(() => Manifest.Load(p)).Message.Replace(p, "M"); }
        Assert.Equal("M:2: column 'audio_path_list' is 'a.wav||b.wav': item 2 is empty", Error("split,text,audio_path_list,label\ntrain,a,a.wav||b.wav,0\ntrain,b,b.wav,1\n"));
        Assert.Equal("M:3: column 'audio_path_list' is 'b.wav|': item 2 is empty", Error("split,text,audio_path_list,label\ntrain,a,a.wav,0\ntrain,b,b.wav|,1\n"));
        Assert.Equal("M:2: column 'labels' is '0;;2': item 2 is empty", Error("split,text,audio_path_list,labels\ntrain,a,a.wav,0;;2\ntrain,b,b.wav,1\n"));
        Assert.Equal($"M:2: label 99999999999 is too large: class ids are 0..K−1 with K at most {Manifest.MaxClasses}",
            Error("split,text,audio_path_list,label\ntrain,a,a.wav,99999999999\ntrain,b,b.wav,1\n"));
        // an empty list is still no clip (a text-only manifest), and ids may come in any order
        var m = Manifest.Load(Write("split,text,audio_path_list,labels\ntrain,a,,2;0\ntrain,b, ,1\n"));
        Assert.Empty(m.Samples[0].AudioPaths);
        Assert.Empty(m.Samples[1].AudioPaths);
        Assert.Equal([0, 2], m.Samples[0].Labels);
    }

    [Fact]
    public void MissingAndUnreadableClipsAreAllListed()
    {
        File.WriteAllBytes(Path.Combine(_dir, "here.wav"), [0]);
        WavWriter.Write(Path.Combine(_dir, "fine.wav"), new float[10], 16000);
        var m = Manifest.Load(Write("split,text,audio_path_list,label\ntrain,a,here.wav|gone1.wav,0\ntrain,b,gone2.wav|fine.wav,1\n"));
        var e = Assert.Throws<SpeechTokException>(m.RequireClips);
        Assert.Contains("3 clip problem(s) (2 missing, 1 unreadable, 0 empty)", e.Message);
        Assert.Contains(":2 (train/0): " + Path.Combine(_dir, "gone1.wav"), e.Message);
        Assert.Contains(":3 (train/1): " + Path.Combine(_dir, "gone2.wav"), e.Message);
        Assert.Contains(":2 (train/0): " + Path.Combine(_dir, "here.wav") + ": not a WAV file", e.Message);
        Assert.DoesNotContain("fine.wav", e.Message);
    }

    [Fact]
    public void A_labels_column_declares_multi_label_and_allows_samples_without_labels()
    {
        var m = Manifest.Load(Write("split,text,audio_path_list,labels\ntrain,a,a.wav,2;0\ntrain,b,b.wav,\ntrain,c,c.wav,1\n"));
        Assert.Equal(TaskKind.Multilabel, m.Task);
        Assert.Equal(3, m.NumClasses);
        Assert.Equal([0, 2], m.Samples[0].Labels);
        Assert.Empty(m.Samples[1].Labels);
        Assert.Null(m.LabelNames);
        // A one-label row of a multi-label manifest is still multi-label; ';' in a single-label column is refused.
        var e = Assert.Throws<SpeechTokException>(() => Manifest.Load(Write("split,text,audio_path_list,label\ntrain,a,a.wav,0;2\ntrain,b,b.wav,1\n")));
        Assert.Contains(":2:", e.Message);
        Assert.Contains("'labels' column", e.Message);
        e = Assert.Throws<SpeechTokException>(() => Manifest.Load(Write("split,text,audio_path_list,label,labels\ntrain,a,a.wav,0,0\n")));
        Assert.Contains("both 'label'", e.Message);
        e = Assert.Throws<SpeechTokException>(() => Manifest.Load(Write("split,text,audio_path_list,labels\ntrain,a,a.wav,1;1\ntrain,b,b.wav,0\n")));
        Assert.Contains("class 1 twice", e.Message);
    }

    [Fact]
    public void Label_names_sidecar_fixes_the_class_count_and_is_checked()
    {
        var p = Write("split,text,audio_path_list,labels\ntrain,a,a.wav,0\ntrain,b,b.wav,\ntrain,c,c.wav,0;1\n");
        File.WriteAllText(Manifest.LabelNamesPath(p), "happy\nsad\nangry\nfear\n\n");
        Assert.EndsWith("m.label_names.txt", Manifest.LabelNamesPath(p));
        var m = Manifest.Load(p);
        Assert.Equal(4, m.NumClasses);
        Assert.Equal(["happy", "sad", "angry", "fear"], m.LabelNames);
        // angry and fear never occur in train: named in the error.
        Assert.Contains("2 (angry), 3 (fear)", Assert.Throws<SpeechTokException>(m.RequireAllClassesInTrain).Message);
        Assert.Contains("4 class names, but class count is 2", Assert.Throws<SpeechTokException>(() => Manifest.Load(p, numClasses: 2)).Message);
        Assert.Equal(["happy", "sad", "angry", "fear"], Manifest.ReadLabelNames(p, 4));
        Assert.Null(Manifest.ReadLabelNames(Path.Combine(_dir, "other.csv")));
        File.WriteAllText(Manifest.LabelNamesPath(p), "happy\nsad\n");
        File.WriteAllText(p, "split,text,audio_path_list,labels\ntrain,a,a.wav,0;2\n");
        Assert.Contains("outside 0..1", Assert.Throws<SpeechTokException>(() => Manifest.Load(p)).Message);
        File.WriteAllText(Manifest.LabelNamesPath(p), "happy\n\nsad\n");
        Assert.Contains("m.label_names.txt:2: empty class name", Assert.Throws<SpeechTokException>(() => Manifest.Load(p)).Message);
    }

    /// <summary>predict --manifest refused unlabelled data ("required column 'label' … is missing"); training must still refuse it.</summary>
    [Fact]
    public void A_manifest_to_predict_may_lack_labels_per_split_while_training_manifests_may_not()
    {
        var none = Write("split,text,audio_path_list\ntest,a,a.wav\ntest,b,b.wav\n");
        Assert.Contains("required column 'label'", Assert.Throws<SpeechTokException>(() => Manifest.Load(none)).Message);
        var m = Manifest.LoadToPredict(none, null, "test", TaskKind.Multilabel, 3, "R/run.json num_labels");
        Assert.Equal((TaskKind.Multilabel, 3), (m.Task, m.NumClasses));
        Assert.All(m.Samples, s => Assert.Equal((false, 0), (s.Labelled, s.Labels.Length)));

        // Labelled train, unlabelled test: each split is one or the other.
        var mixed = Write("split,text,audio_path_list,label\ntrain,a,a.wav,1\ntrain,b,b.wav,0\ntest,c,c.wav,\ntest,d,d.wav, \n");
        Assert.EndsWith("m.csv:4: column 'label' is empty", Assert.Throws<SpeechTokException>(() => Manifest.Load(mixed)).Message);
        m = Manifest.LoadToPredict(mixed, null, "test", TaskKind.Binary, 2, "R/run.json num_labels");
        Assert.All(m.Split("train"), s => Assert.True(s.Labelled));
        Assert.All(m.Split("test"), s => Assert.False(s.Labelled));
        Assert.Equal([1], m.Split("train")[0].Labels);

        // A split half labelled is refused, naming its first empty cell.
        var half = Write("split,text,audio_path_list,label\ntest,a,a.wav,1\ntest,b,b.wav,\ntest,c,c.wav,\ntrain,d,d.wav,\n");
        Assert.EndsWith("m.csv:3: column 'label' is empty, but line 2 of split 'test' has a label; a split is predicted with the labels of all its samples or of none: "
            + "fill the cell, or empty every label cell of the split", Assert.Throws<SpeechTokException>(() => Manifest.LoadToPredict(half, null, "test", TaskKind.Binary, 2, "R/run.json num_labels")).Message);
        // Half labelled but not predicted: its labels are never read.
        Assert.Single(Manifest.LoadToPredict(half, null, "train", TaskKind.Binary, 2, "R/run.json num_labels").Split("train"));

        // Empty multi-label cells are labels (none on), not missing ones; labels given are checked against the run's class count.
        m = Manifest.LoadToPredict(Write("split,text,audio_path_list,labels\ntest,a,a.wav,\ntest,b,b.wav,\n"), null, "test", TaskKind.Multilabel, 2, "R/run.json num_labels");
        Assert.All(m.Samples, s => Assert.True(s.Labelled));
        Assert.EndsWith("m.csv:2: label 2 is outside 0..1 (R/run.json num_labels 2)",
            Assert.Throws<SpeechTokException>(() => Manifest.LoadToPredict(Write("split,text,audio_path_list,label\ntest,a,a.wav,2\n"), null, "test", TaskKind.Binary, 2, "R/run.json num_labels")).Message);
    }

    [Fact]
    public void A_label_on_for_every_train_sample_is_an_error()
    {
        var m = Manifest.Load(Write("split,text,audio_path_list,labels\ntrain,a,a.wav,0;1\ntrain,b,b.wav,0\ntest,c,c.wav,\n"));
        Assert.Contains("label(s) 0 are on for every train sample", Assert.Throws<SpeechTokException>(m.RequireAllClassesInTrain).Message);
    }

    [Fact]
    public void LoadsTheRealMmUsedFallacyCsvWithoutItsClips()
    {
        var p = Path.Combine(FixtureRoot.RepoRoot, "tests", "data", "mmused-fallacy", "dataset_combined_afc.csv");
        var m = Manifest.Load(p);
        Assert.Equal(969, m.Split("train").Count);
        Assert.Equal(121, m.Split("val").Count);
        Assert.Equal(229, m.Split("test").Count);
        Assert.Equal(6, m.NumClasses);
        Assert.NotEmpty(m.MissingClips());
    }
}
