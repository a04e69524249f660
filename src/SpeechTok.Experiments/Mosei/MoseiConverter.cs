using System.Globalization;
using System.Text;
using System.Text.Json;
using SpeechTok.Audio;
using SpeechTok.IO;
using SpeechTok.Tensors;

namespace SpeechTok.Experiments.Mosei;

/// <summary>
/// CMU-MOSEI (Zadeh et al. 2018) as the paper's SENT and EMO manifests. Input: a per-segment table (CSV, header
/// row) with <c>video_id</c>, <c>segment_id</c>, <c>start</c> and <c>end</c> (seconds in the video), <c>text</c>,
/// <c>sentiment</c> (in [−3, 3]), the six emotion intensities <c>happy</c>, <c>sad</c>, <c>anger</c>,
/// <c>surprise</c>, <c>disgust</c>, <c>fear</c> (≥ 0; EMO only) and optionally <c>split</c> (train, valid/val/dev,
/// test; else <see cref="MoseiOptions.Folds"/>), plus the full-video audio. Each segment's clip is cut from its
/// video's audio at [start, end) through the audio front-end (16 kHz mono) into <c>clips/</c>; beside each clip,
/// <c>CLIP.wav.source</c> records what it was cut from (the video's audio file, its size and time stamp, start and end),
/// so a clip is kept only while that still holds: SENT and EMO share clips, a killed run resumes clip by clip, and an
/// edited segment or a replaced video is cut again, unless the other task's manifest lists the clip
/// (<see cref="RequireNoRecutUnderOtherManifest"/>); one run writes a folder at a time (<see cref="FolderLock"/>: two runs at once, SENT and EMO say, would cut the same clips twice). SENT: label 1 (positive) when sentiment ≥ 0, else 0 —
/// the binary "negative vs non-negative" split most MOSEI results report (Acc-2/F1), which keeps every segment;
/// <see cref="MoseiOptions.ExcludeNeutral"/> gives the other convention (zeros dropped). EMO: the <c>labels</c>
/// column lists the emotions whose intensity is &gt; 0 (presence, as the paper's multi-label EMO task), possibly none.
/// </summary>
public static class MoseiConverter
{
    public static readonly string[] Emotions = ["happy", "sad", "anger", "surprise", "disgust", "fear"];
    public static readonly string[] Polarities = ["negative", "positive"];
    /// <summary>A segment may end this much past its video's audio (rounding in the annotations); later is an error.</summary>
    private const double EndSlackSeconds = 0.5;

    private sealed record Segment(int Line, string Video, string Id, double Start, double End, string Text, double Sentiment, double[] Emotion, string? Split)
    {
        public string Clip => $"clips/{Safe(Video)}_{Safe(Id)}.wav";
    }

    public static string ManifestName(MoseiTask task) => task == MoseiTask.Sent ? "sent.csv" : "emo.csv";

    /// <summary>The sidecar beside each clip that records what it was cut from.</summary>
    public const string SourceSuffix = ".source";

    public static MoseiResult Convert(MoseiOptions o)
    {
        string outDir = OutputPaths.RequireFolder(o.Out, "mosei writes a folder");
        if (o.ExcludeNeutral && o.Task != MoseiTask.Sent) throw new SpeechTokException("--exclude-neutral is for --task Sent (EMO labels do not use the sentiment)");
        var segments = ReadTable(o.Table, o.Task);
        var folds = o.Folds != null ? ReadFolds(o.Folds) : null;
        if (segments[0].Split == null && folds == null)
            throw new SpeechTokException($"{o.Table}: no 'split' column; pass --folds FILE (the standard train/valid/test video ids)");
        if (segments[0].Split != null && folds != null)
            throw new SpeechTokException($"{o.Table} has a 'split' column and --folds {o.Folds} is given too: keep one (the column would win)");
        var kept = new List<(Segment S, string Split)>();
        int notInFolds = 0, neutral = 0;
        foreach (var s in segments)
        {
            string? split = s.Split ?? folds!.GetValueOrDefault(s.Video);
            if (split == null) { notInFolds++; continue; }
            if (o.Task == MoseiTask.Sent && o.ExcludeNeutral && s.Sentiment == 0) { neutral++; continue; }
            kept.Add((s, split));
        }
        if (kept.Count == 0) // the table has segments, so at least one count is not zero
            throw new SpeechTokException($"{o.Table}: no segment left: " + string.Join(", ",
                new[] { (Count: neutral, Why: "neutral (sentiment 0) dropped by --exclude-neutral"), (Count: notInFolds, Why: $"of a video in no fold of {o.Folds}") }
                    .Where(r => r.Count > 0).Select(r => $"{r.Count} {r.Why}")));
        // Ids are made file-name safe and joined with '_': two segments must not end up with one clip.
        foreach (var g in segments.GroupBy(s => s.Clip).Where(g => g.Count() > 1))
        {
            var (a, b) = (g.First(), g.Skip(1).First());
            throw new SpeechTokException($"{o.Table}:{b.Line}: segment {b.Video}/{b.Id} and segment {a.Video}/{a.Id} (line {a.Line}) would share the clip {g.Key}; make their ids distinct");
        }

        var videos = kept.GroupBy(k => k.S.Video).ToList();
        var audio = FindAudio(o.AudioDir, videos.Select(g => g.Key));
        var missing = audio.Where(kv => kv.Value == null).Select(kv => kv.Key).ToList();
        if (missing.Count > 0)
            throw new SpeechTokException($"{missing.Count} video(s) of {o.Table} have no audio in {Path.GetFullPath(o.AudioDir)} (expected VIDEO_ID.wav): " +
                ShortList.Join(", ", missing));

        var wanted = kept.ToDictionary(k => k.S.Clip, k => Source(audio[k.S.Video]!, k.S));
        bool Current(string clip)
        {
            string path = Path.Combine(outDir, clip), source = path + SourceSuffix;
            // Before the lock another run may replace a clip under us: a file gone between the checks is not current.
            try { return File.Exists(path) && File.ReadAllText(source) == wanted[clip]; }
            catch (FileNotFoundException) { return false; }
        }
        List<Segment>[] Todo() => [.. videos.Select(g => g.Where(k => !Current(k.S.Clip)).Select(k => k.S).ToList())];
        // The samples [a, a + n) of a segment in its video's audio of `length` samples; a segment past the end or too short is an error.
        (int A, int N) Range(Segment s, long length)
        {
            double seconds = (double)length / AudioLoader.SampleRate;
            if (s.End - seconds > EndSlackSeconds)
                throw new SpeechTokException($"{o.Table}:{s.Line}: segment {s.Id} ends at {s.End} s but the audio of video {s.Video} lasts {seconds:F2} s");
            int a = (int)Math.Round(s.Start * AudioLoader.SampleRate), b = (int)Math.Min(Math.Round(s.End * AudioLoader.SampleRate), length);
            if (b - a < AudioLoader.SampleRate / 100)
                throw new SpeechTokException($"{o.Table}:{s.Line}: segment {s.Id} of video {s.Video} keeps less than 10 ms of audio ([{s.Start}, {s.End}) s)");
            return (a, b - a);
        }
        // Every segment to cut is checked against its video's length (a WAV's header) before anything is written: a bad row
        // late in the table refused the run only after the clips of the rows before it were cut.
        var todo = Todo();
        var lengths = new long[videos.Count];
        Threading.For(videos.Count, v => { if (todo[v].Count > 0) lengths[v] = AudioLoader.LoadedLength(audio[videos[v].Key]!); });
        foreach (var (s, length) in todo.SelectMany((segments, v) => segments.Select(s => (s, lengths[v]))).OrderBy(x => x.s.Line)) Range(s, length);

        string clipsDir = Path.Combine(outDir, "clips");
        Directory.CreateDirectory(clipsDir);
        using var writing = FolderLock.Acquire(outDir, "mosei");
        AtomicFile.DeleteTempFiles(clipsDir, "*.wav"); // clips a killed run was writing (the lock keeps live runs out)
        todo = Todo(); // a run that held the lock until now may have cut some
        RequireNoRecutUnderOtherManifest(o, outDir, todo.SelectMany(t => t), wanted);
        int cut = 0;
        Threading.For(videos.Count, v =>
        {
            if (todo[v].Count == 0) return;
            var wav = AudioLoader.Load(audio[videos[v].Key]!);
            foreach (var s in todo[v])
            {
                var (a, n) = Range(s, wav.Length);
                string clip = Path.Combine(outDir, s.Clip);
                File.Delete(clip + SourceSuffix); // a kill between the two writes leaves no claim about the new clip
                WavWriter.Write(clip, wav.AsSpan(a, n), AudioLoader.SampleRate);
                AtomicFile.WriteAllText(clip + SourceSuffix, wanted[s.Clip]);
                Interlocked.Increment(ref cut);
            }
        });

        var csv = new StringBuilder($"split,index,id,text,audio_path_list,{(o.Task == MoseiTask.Sent ? "label" : "labels")}\n");
        var counts = new Dictionary<string, int>();
        foreach (var split in Manifest.SplitNames)
        {
            int index = 0;
            foreach (var (s, _) in kept.Where(k => k.Split == split))
            {
                string label = o.Task == MoseiTask.Sent ? (s.Sentiment >= 0 ? "1" : "0")
                    : string.Join(";", Enumerable.Range(0, Emotions.Length).Where(e => s.Emotion[e] > 0));
                csv.Append(CultureInfo.InvariantCulture, $"{split},{index++},{Csv.Field(s.Video + "_" + s.Id)},{Csv.Field(s.Text)},{s.Clip},{label}\n");
            }
            counts[split] = index;
        }
        string manifest = Path.Combine(outDir, ManifestName(o.Task));
        AtomicFile.WriteAllText(Manifest.LabelNamesPath(manifest), string.Join("\n", o.Task == MoseiTask.Sent ? Polarities : Emotions) + "\n");
        AtomicFile.WriteAllText(manifest, csv.ToString());
        Manifest.Load(manifest).RequireClips(); // what we wrote must load with the project's reader
        return new MoseiResult(manifest, counts, cut, notInFolds, neutral);
    }

    /// <summary>The segments; only the task's label columns are read (EMO ignores the sentiment, SENT the emotions).</summary>
    private static List<Segment> ReadTable(string path, MoseiTask task)
    {
        bool needEmotions = task == MoseiTask.Emo;
        if (!File.Exists(path)) throw new SpeechTokException($"MOSEI table '{path}' " + (Directory.Exists(path) ? "is a folder, not a CSV file" : "does not exist"));
        using var reader = Csv.OpenText(path);
        using var records = Csv.Read(reader, path).GetEnumerator();
        if (!records.MoveNext()) throw new SpeechTokException($"{path}: the table is empty (a header line is required)");
        var header = Csv.ColumnNames(path, records.Current, h => h.Trim().ToLowerInvariant());
        int Col(string name, bool required)
        {
            int i = Array.IndexOf(header, name);
            if (i < 0 && required) throw new SpeechTokException($"{path}:1: required column '{name}' is missing (header: {string.Join(",", header)})");
            return i;
        }
        int cVideo = Col("video_id", true), cSeg = Col("segment_id", true), cStart = Col("start", true), cEnd = Col("end", true);
        int cText = Col("text", true), cSent = Col("sentiment", !needEmotions), cSplit = Col("split", false);
        var cEmo = Emotions.Select(e => Col(e, needEmotions)).ToArray();
        var list = new List<Segment>();
        var seen = new Dictionary<(string, string), int>();
        while (records.MoveNext())
        {
            var (line, f) = records.Current;
            if (f.Length != header.Length) throw new SpeechTokException($"{path}:{line}: {f.Length} fields but the header has {header.Length}");
            double Num(int c, string name, double min, double max)
            {
                if (!double.TryParse(f[c].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !(v >= min && v <= max))
                    throw new SpeechTokException($"{path}:{line}: column '{name}' is '{f[c]}', expected a number "
                        + (max == double.MaxValue ? $"≥ {min}" : $"in [{min}, {max}]"));
                return v;
            }
            string video = f[cVideo].Trim(), id = f[cSeg].Trim();
            if (video.Length == 0 || id.Length == 0) throw new SpeechTokException($"{path}:{line}: empty video_id or segment_id");
            // The video id names its audio file (the segment id only a clip, made safe by Safe).
            if (video.IndexOfAny(NotInFileNames) is int bad and >= 0)
                throw new SpeechTokException($"{path}:{line}: video_id '{video}' holds {(char.IsControl(video[bad]) ? $"U+{(int)video[bad]:X4}" : $"'{video[bad]}'")}, " +
                    "which a file name cannot: its audio is looked for as VIDEO_ID.wav in --audio-dir");
            if (seen.TryGetValue((video, id), out int first)) throw new SpeechTokException($"{path}:{line}: segment {video}/{id} again (first on line {first})");
            seen[(video, id)] = line;
            double start = Num(cStart, "start", 0, double.MaxValue), end = Num(cEnd, "end", 0, double.MaxValue);
            if (!(end > start)) throw new SpeechTokException($"{path}:{line}: end {end} is not after start {start}");
            string? split = null;
            if (cSplit >= 0)
            {
                split = NormalizeSplit(f[cSplit].Trim())
                    ?? throw new SpeechTokException($"{path}:{line}: column 'split' is '{f[cSplit]}', expected train, valid (val, dev) or test");
            }
            var emotion = cEmo.Select((c, e) => c < 0 || !needEmotions ? 0 : Num(c, Emotions[e], 0, double.MaxValue)).ToArray();
            double sentiment = needEmotions ? 0 : Num(cSent, "sentiment", -3, 3);
            list.Add(new Segment(line, video, id, start, end, f[cText].Trim(), sentiment, emotion, split));
        }
        if (list.Count == 0) throw new SpeechTokException($"{path}: the table has a header but no segments");
        return list;
    }

    private static string? NormalizeSplit(string s) => s.ToLowerInvariant() switch
    {
        "train" => "train",
        "valid" or "val" or "dev" or "validation" => "val",
        "test" => "test",
        _ => null,
    };

    /// <summary>video id → split from a folds JSON; a video in two folds is an error.</summary>
    private static Dictionary<string, string> ReadFolds(string path)
    {
        path = InputPaths.RequireFile(path, "folds file");
        JsonElement root;
        try { root = JsonDocument.Parse(File.ReadAllText(path)).RootElement; }
        catch (JsonException e) { throw new SpeechTokException($"{path}: not valid JSON ({e.Message})"); }
        if (root.ValueKind != JsonValueKind.Object) throw new SpeechTokException($"{path}: expected an object {{\"train\": [...], \"valid\": [...], \"test\": [...]}}");
        var map = new Dictionary<string, string>();
        foreach (var fold in root.EnumerateObject())
        {
            var split = NormalizeSplit(fold.Name) ?? throw new SpeechTokException($"{path}: fold '{fold.Name}' is not train, valid (val, dev) or test");
            if (fold.Value.ValueKind != JsonValueKind.Array) throw new SpeechTokException($"{path}: fold '{fold.Name}' must be an array of video ids");
            foreach (var v in fold.Value.EnumerateArray())
            {
                var id = v.ValueKind == JsonValueKind.String ? v.GetString()! : throw new SpeechTokException($"{path}: fold '{fold.Name}' holds {v}, not a video id string");
                if (map.TryGetValue(id, out var other) && other != split) throw new SpeechTokException($"{path}: video {id} is in both {other} and {split}");
                map[id] = split;
            }
        }
        return map;
    }

    /// <summary>Characters a video id cannot hold: it is a file name (both separators, whichever the system uses).</summary>
    private static readonly char[] NotInFileNames = [.. Path.GetInvalidFileNameChars().Union(['/', '\\'])];

    /// <summary>
    /// Each video's audio: DIR/VIDEO.wav, else the one file DIR/VIDEO.EXT (another container, decoded by ffmpeg); null when
    /// none. The folder is listed once and names compared exactly: a file-name pattern read '*' and '?' in an id as wildcards.
    /// </summary>
    private static Dictionary<string, string?> FindAudio(string dir, IEnumerable<string> videos)
    {
        dir = InputPaths.RequireFolder(dir, "--audio-dir");
        var files = Directory.EnumerateFiles(dir).Where(f => Path.HasExtension(f)).ToLookup(f => Path.GetFileNameWithoutExtension(f), StringComparer.Ordinal);
        return videos.ToDictionary(video => video, string? (video) =>
        {
            var found = files[video].ToList();
            if (found.Find(f => Path.GetExtension(f) == ".wav") is { } wav) return wav;
            return found.Count switch
            {
                0 => null,
                1 => found[0],
                _ => throw new SpeechTokException($"video {video} has {found.Count} audio files in {dir} ({string.Join(", ", found.Select(Path.GetFileName).Order(StringComparer.Ordinal))}) and no {video}.wav: keep one"),
            };
        });
    }

    /// <summary>
    /// SENT and EMO share clips, so a clip the other task's manifest lists is not cut again from another cut (its table
    /// gives the segment other times, or the video changed): that manifest's data would change under it without a word.
    /// Refused naming the first such segment; a clip without a record (a killed run's) makes no claim.
    /// </summary>
    private static void RequireNoRecutUnderOtherManifest(MoseiOptions o, string outDir, IEnumerable<Segment> todo, Dictionary<string, string> wanted)
    {
        var otherTask = o.Task == MoseiTask.Sent ? MoseiTask.Emo : MoseiTask.Sent;
        string other = Path.Combine(outDir, ManifestName(otherTask));
        string Clip(Segment s) => Path.GetFullPath(Path.Combine(outDir, s.Clip)); // as the manifest's reader resolves it
        string Record(Segment s) => Clip(s) + SourceSuffix;
        var recut = todo.Where(s => File.Exists(Record(s)) && File.ReadAllText(Record(s)) != wanted[s.Clip]).ToList();
        if (recut.Count == 0 || !File.Exists(other)) return;
        var listed = Manifest.LoadClips(other, audioRoot: null).Samples.SelectMany(s => s.AudioPaths).ToHashSet(StringComparer.Ordinal);
        var clash = recut.Where(s => listed.Contains(Clip(s))).OrderBy(s => s.Line).ToList();
        if (clash.Count == 0) return;
        var first = clash[0];
        string more = clash.Count switch { 1 => "", 2 => " (and 1 more clip of this table)", _ => $" (and {clash.Count - 1} more clips of this table)" };
        throw new SpeechTokException($"{o.Table}:{first.Line}: segment {first.Video}/{first.Id} would cut {first.Clip} again (its times or its video differ " +
            $"from the cut {Record(first)} records), but {other} lists that clip{more}: cutting it would change that manifest's data. Convert tables " +
            $"that disagree into separate --out folders; or, if that manifest is stale, delete it and convert --task {otherTask} again after this run");
    }

    /// <summary>What a clip is cut from: one line, compared as a whole.</summary>
    private static string Source(string audioPath, Segment s)
    {
        var f = new FileInfo(audioPath);
        return string.Create(CultureInfo.InvariantCulture, $"{f.FullName}|{f.Length}|{f.LastWriteTimeUtc.Ticks}|{s.Start:R}|{s.End:R}");
    }

    /// <summary>A file-name-safe form of an id (letters, digits, '-', '_' and '.' are kept, as in MOSEI's ids; anything else becomes '_').</summary>
    private static string Safe(string id) => new(id.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_').ToArray());
}
