using SpeechTok.IO;

namespace SpeechTok.Audio;

/// <summary>
/// The dataset manifest every command reads: a CSV with a header and the columns <c>split</c>
/// (train/val/test), <c>text</c>, <c>audio_path_list</c> (clips joined by '|', relative to the
/// manifest's folder or to <c>--audio-root</c>) and either <c>label</c> (one integer class id: a binary or
/// multiclass task) or <c>labels</c> (';'-separated class ids, possibly empty: the column declares a
/// multi-label task); optional <c>index</c> and <c>id</c>; other columns are ignored. Only a manifest loaded for
/// prediction (<see cref="LoadToPredict"/>) may lack the labels. Class names, when
/// known, live in a sidecar next to the manifest (<see cref="LabelNamesPath"/>: one name a line, line i =
/// class i), which also fixes the class count. Loading reads no clip, so text-only commands work where the audio is
/// absent; only an <c>--audio-root</c> other than the manifest's folder is checked to hold at least one clip.
/// </summary>
public sealed class Manifest
{
    public static readonly string[] SplitNames = ["train", "val", "test"];

    /// <summary>The largest class count: labels are dense ids 0..K−1, so a larger id is a typo (or a raw id that needs remapping).</summary>
    public const int MaxClasses = 100_000;

    public string Path { get; }
    /// <summary>sha256 (lowercase hex) of the manifest file's bytes as loaded: run records keep it, so an edited manifest is noticed.</summary>
    public string Sha256 { get; }
    public string AudioRoot { get; }
    public IReadOnlyList<ManifestSample> Samples { get; }
    public int NumClasses { get; }
    public TaskKind Task { get; }
    /// <summary>The names of classes 0..K−1 from the sidecar (<see cref="LabelNamesPath"/>), or null without one.</summary>
    public IReadOnlyList<string>? LabelNames { get; }
    /// <summary>For messages, when <see cref="NumClasses"/> was inferred (no sidecar, no given count): the largest label and its line.</summary>
    private string? ClassCountOrigin { get; init; }

    private Manifest(string path, string sha256, string audioRoot, List<ManifestSample> samples, int numClasses, TaskKind task, IReadOnlyList<string>? labelNames)
    {
        Path = path;
        Sha256 = sha256;
        AudioRoot = audioRoot;
        Samples = samples;
        NumClasses = numClasses;
        Task = task;
        LabelNames = labelNames;
    }

    /// <summary>The class-name sidecar of a manifest: <c>emo.csv</c> → <c>emo.label_names.txt</c>.</summary>
    public static string LabelNamesPath(string manifestPath) => System.IO.Path.ChangeExtension(System.IO.Path.GetFullPath(manifestPath), ".label_names.txt");

    /// <summary>Refuses an output file that is the manifest or its class-name file (<see cref="OutputPaths.RequireApart"/>).</summary>
    /// <exception cref="SpeechTokException">Naming <paramref name="option"/>, the output and the input it would replace.</exception>
    public static void RequireApart(string output, string manifestPath, string option = "--out")
    {
        OutputPaths.RequireApart(output, manifestPath, "the manifest", option: option);
        OutputPaths.RequireApart(output, LabelNamesPath(manifestPath), "the manifest's class-name file", option: option);
    }

    /// <summary>Loads a manifest whose every sample has its label(s): what training, evaluation, selection and the baselines read.</summary>
    /// <param name="numClasses">The class count when known (labels must lie in 0..K−1); otherwise the sidecar's name count, else max label + 1.</param>
    /// <param name="numClassesSource">Where <paramref name="numClasses"/> came from, as messages name it: the option as the user
    /// gave it (<c>--num-labels</c>, <c>--num-classes</c>) or a run's field.</param>
    /// <exception cref="SpeechTokException">A missing file or column, an empty <c>label</c> cell, a label outside 0..K−1 or a
    /// sidecar of another class count (each naming the file and line), fewer than two classes.</exception>
    public static Manifest Load(string path, string? audioRoot = null, int? numClasses = null, string numClassesSource = DefaultCountSource) =>
        Load(path, audioRoot, numClasses, numClassesSource, unlabelledTask: null, predicted: null);

    /// <summary>
    /// Loads a manifest to predict with a model of <paramref name="task"/> and <paramref name="numClasses"/> classes
    /// (<c>predict --manifest</c>). Its labels are optional: without a <c>label</c>/<c>labels</c> column every sample is
    /// unlabelled (<see cref="ManifestSample.Labelled"/> false, and <see cref="Task"/> is <paramref name="task"/>), and so is
    /// every sample of a split whose <c>label</c> cells are all empty; a split with some <c>label</c> cells empty and some
    /// not is refused when it is <paramref name="split"/>, naming its first empty line (a <c>labels</c> cell may be empty:
    /// no label is on); the other splits are not predicted, and their labels are not read. Labels that are given are
    /// checked as <see cref="Load(string, string?, int?, string)"/> checks them.
    /// </summary>
    /// <param name="split">The split to predict.</param>
    /// <param name="numClassesSource">The run's field the class count comes from, as messages name it (e.g. "RUN/run.json num_labels").</param>
    public static Manifest LoadToPredict(string path, string? audioRoot, string split, TaskKind task, int numClasses, string numClassesSource) =>
        Load(path, audioRoot, numClasses, numClassesSource, task, split);

    private const string DefaultCountSource = "class count";

    /// <summary>
    /// Loads a manifest for its clips only (<c>tokenize</c>): labels are optional as for <see cref="LoadToPredict"/>, and no
    /// class count is required (codes of new, unlabelled audio are what <c>predict --manifest</c> reads). Labels that are
    /// given are still checked (ids, the sidecar); <see cref="NumClasses"/> is then max label + 1, or 0 when there is none.
    /// </summary>
    public static Manifest LoadClips(string path, string? audioRoot) =>
        Load(path, audioRoot, null, DefaultCountSource, TaskKind.Multiclass, predicted: null, requireClasses: false);

    /// <summary>
    /// The names of the sidecar of <paramref name="manifestPath"/> (<see cref="LabelNamesPath"/>: one a line, trailing blank
    /// lines ignored), or null when there is none; with <paramref name="numClasses"/>, a sidecar of another count is an error
    /// that names where the count came from (<paramref name="numClassesSource"/>: an option, or a run's field).
    /// </summary>
    /// <exception cref="SpeechTokException">An empty or repeated name, fewer than two names, or another count than <paramref name="numClasses"/>, naming the sidecar.</exception>
    public static IReadOnlyList<string>? ReadLabelNames(string manifestPath, int? numClasses = null, string numClassesSource = DefaultCountSource)
    {
        string path = LabelNamesPath(manifestPath);
        if (!File.Exists(path)) return null;
        var lines = File.ReadAllLines(path).Select(l => l.Trim()).ToList();
        while (lines.Count > 0 && lines[^1].Length == 0) lines.RemoveAt(lines.Count - 1);
        for (int i = 0; i < lines.Count; i++)
        {
            if (lines[i].Length == 0) throw new SpeechTokException($"{path}:{i + 1}: empty class name");
            if (lines.IndexOf(lines[i]) < i) throw new SpeechTokException($"{path}:{i + 1}: class name '{lines[i]}' also on line {lines.IndexOf(lines[i]) + 1}");
        }
        if (lines.Count < 2) throw new SpeechTokException($"{path}: {lines.Count} class name(s); a task has at least two classes");
        if (numClasses is int given && given != lines.Count)
            throw new SpeechTokException($"{path}: {lines.Count} class names, but {numClassesSource} is {given}");
        return lines;
    }

    /// <param name="unlabelledTask">Non-null: labels are optional (<see cref="LoadToPredict"/>), and a manifest without a label column has this task.</param>
    /// <param name="predicted">With <paramref name="unlabelledTask"/>: the split to predict, the only one refused when half labelled.</param>
    /// <param name="requireClasses">False for <see cref="LoadClips"/>: fewer than two classes is no error.</param>
    private static Manifest Load(string path, string? audioRoot, int? numClasses, string numClassesSource, TaskKind? unlabelledTask, string? predicted,
        bool requireClasses = true)
    {
        path = InputPaths.RequireFile(path, "manifest");
        var names = ReadLabelNames(path, numClasses, numClassesSource);
        if (numClasses < 1) throw new SpeechTokException($"{numClassesSource} {numClasses}: must be at least 1");
        // What fixes the class count, for a label outside it.
        string? countSource = names != null ? $"{names.Count} names in {LabelNamesPath(path)}" : numClasses != null ? $"{numClassesSource} {numClasses}" : null;
        numClasses ??= names?.Count;
        // Without a trailing separator, so that "--audio-root DIR/" naming the manifest's own folder is the default.
        var root = System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(audioRoot ?? System.IO.Path.GetDirectoryName(path)!));
        if (audioRoot != null) InputPaths.RequireFolder(root, "--audio-root");

        byte[] bytes; // hashed and parsed from the same read
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new SpeechTokException($"{path}: cannot read the manifest ({e.Message})", e); }
        string sha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));
        using var reader = Csv.OpenText(bytes, path);
        using var records = Csv.Read(reader, path).GetEnumerator();
        if (!records.MoveNext()) throw new SpeechTokException($"{path}: the manifest is empty (a header line is required)");
        var header = Csv.ColumnNames(path, records.Current, h => h.Trim());
        int Col(string name, bool required)
        {
            int i = Array.IndexOf(header, name);
            if (i < 0 && required) throw new SpeechTokException($"{path}:1: required column '{name}' is missing (header: {string.Join(",", header)})");
            return i;
        }
        int cSplit = Col("split", true), cText = Col("text", true), cAudio = Col("audio_path_list", true);
        int cIndex = Col("index", false), cId = Col("id", false), cLabel = Col("label", false), cLabels = Col("labels", false);
        if (cLabel >= 0 && cLabels >= 0)
            throw new SpeechTokException($"{path}:1: both 'label' (single-label) and 'labels' (multi-label) columns; keep the one that describes the task");
        if (cLabel < 0 && cLabels < 0 && unlabelledTask == null)
            throw new SpeechTokException($"{path}:1: required column 'label' (one class id) or 'labels' (';'-separated ids, multi-label) is missing (header: {string.Join(",", header)})");
        bool multi = cLabels >= 0, labelled = cLabel >= 0 || cLabels >= 0;
        string labelColumn = multi ? "labels" : "label";
        // Per split, the line of the first empty and of the first filled 'label' cell (only a manifest to predict may have empty ones).
        var firstEmpty = new Dictionary<string, int>();
        var firstFilled = new Dictionary<string, int>();

        var samples = new List<ManifestSample>();
        var positions = new Dictionary<string, int>();
        var seen = new Dictionary<string, int>();
        int maxLabel = -1, maxLabelLine = 0;
        while (records.MoveNext())
        {
            var (line, f) = records.Current;
            if (f.Length != header.Length)
                throw new SpeechTokException($"{path}:{line}: {f.Length} fields but the header has {header.Length}");

            var split = f[cSplit].Trim();
            if (Array.IndexOf(SplitNames, split) < 0)
                throw new SpeechTokException($"{path}:{line}: column 'split' is '{split}', expected one of {string.Join("/", SplitNames)}");
            positions.TryGetValue(split, out int position);
            positions[split] = position + 1;
            int index = position;
            if (cIndex >= 0 && !int.TryParse(f[cIndex].Trim(), out index))
                throw new SpeechTokException($"{path}:{line}: column 'index' is '{f[cIndex]}', not an integer");
            var key = $"{split}/{index}";
            if (seen.TryGetValue(key, out var firstLine))
                throw new SpeechTokException($"{path}:{line}: duplicate sample {key} (first on line {firstLine})");
            seen[key] = line;

            var labelText = labelled ? f[multi ? cLabels : cLabel].Trim() : "";
            if (!multi && labelText.Contains(';'))
                throw new SpeechTokException($"{path}:{line}: column 'label' is '{labelText}', one class id; a multi-label manifest declares a 'labels' column instead");
            var parts = labelText.Length == 0 ? [] : labelText.Split(';', StringSplitOptions.TrimEntries);
            var labels = new int[parts.Length];
            for (int i = 0; i < parts.Length; i++)
            {
                if (parts[i].Length == 0)
                    throw new SpeechTokException($"{path}:{line}: column 'labels' is '{labelText}': item {i + 1} is empty");
                if (!int.TryParse(parts[i], out labels[i]) || labels[i] < 0)
                    throw new SpeechTokException(parts[i].All(char.IsAsciiDigit)
                        ? $"{path}:{line}: label {parts[i]} is too large: class ids are 0..K−1 with K at most {MaxClasses}"
                        : $"{path}:{line}: column '{labelColumn}' is '{labelText}', expected {(multi ? "';'-separated non-negative class ids (or nothing)" : "a non-negative integer class id")}");
                if (labels[i] >= MaxClasses)
                    throw new SpeechTokException($"{path}:{line}: label {labels[i]} is too large: class ids are 0..K−1 with K at most {MaxClasses}");
                if (numClasses is int k && labels[i] >= k)
                    throw new SpeechTokException($"{path}:{line}: label {labels[i]} is outside 0..{k - 1} ({countSource})");
                if (Array.IndexOf(labels, labels[i], 0, i) >= 0)
                    throw new SpeechTokException($"{path}:{line}: column 'labels' lists class {labels[i]} twice");
                if (labels[i] > maxLabel) (maxLabel, maxLabelLine) = (labels[i], line);
            }
            if (labelled && !multi)
            {
                if (labels.Length == 0 && unlabelledTask == null) throw new SpeechTokException($"{path}:{line}: column 'label' is empty");
                (labels.Length == 0 ? firstEmpty : firstFilled).TryAdd(split, line);
            }
            Array.Sort(labels);

            var clipText = f[cAudio].Trim();
            var clips = (clipText.Length == 0 ? [] : clipText.Split('|', StringSplitOptions.TrimEntries))
                .Select((p, i) => p.Length == 0
                    ? throw new SpeechTokException($"{path}:{line}: column 'audio_path_list' is '{clipText}': item {i + 1} is empty")
                    : p.Contains('\0')
                    ? throw new SpeechTokException($"{path}:{line}: column 'audio_path_list' holds a path with a NUL character")
                    : System.IO.Path.GetFullPath(System.IO.Path.Combine(root, p))).ToArray();
            samples.Add(new ManifestSample(line, split, index, cId >= 0 ? f[cId] : null, f[cText], clips, labels) { ManifestPath = path, Labelled = labelled });
        }
        if (samples.Count == 0) throw new SpeechTokException($"{path}: the manifest has a header but no samples");
        foreach (var (split, empty) in firstEmpty)
        {
            if (firstFilled.TryGetValue(split, out int filled))
            {
                if (split != predicted) continue; // not predicted: its labels are never read
                throw new SpeechTokException($"{path}:{empty}: column 'label' is empty, but line {filled} of split '{split}' has a label; "
                    + "a split is predicted with the labels of all its samples or of none: fill the cell, or empty every label cell of the split");
            }
            for (int i = 0; i < samples.Count; i++)
                if (samples[i].Split == split) samples[i] = samples[i] with { Labelled = false };
        }
        if (audioRoot != null && root != System.IO.Path.GetDirectoryName(path)) RequireSomeClipUnder(root, path, samples);
        int classes = numClasses ?? maxLabel + 1;
        var task = !labelled ? unlabelledTask!.Value : multi ? TaskKind.Multilabel : classes <= 2 ? TaskKind.Binary : TaskKind.Multiclass;
        if (classes < 2 && requireClasses) throw new SpeechTokException($"{path}: {(maxLabel < 0 ? $"no {(multi ? "label" : "class")} occurs" : $"only {(multi ? "label" : "class")} {maxLabel} occurs")}; classification needs at least two");
        // Without a sidecar or a given count, K is the largest label + 1: say where it came from, a typo there makes classes "absent".
        string? inferred = numClasses == null && names == null && maxLabel >= 0 ? $"K = {classes} comes from the largest label, {maxLabel} on line {maxLabelLine}" : null;
        return new Manifest(path, sha256, root, samples, classes, task, names) { ClassCountOrigin = inferred };
    }

    /// <summary>
    /// An <c>--audio-root</c> other than the manifest's folder must hold at least one of the clips: commands that read codes
    /// would otherwise only warn that every clip is missing (matching codes by file name) and go on with a mistyped root.
    /// The default root keeps that warning, so codes can outlive their audio.
    /// </summary>
    private static void RequireSomeClipUnder(string root, string path, List<ManifestSample> samples)
    {
        var clips = samples.SelectMany(s => s.AudioPaths).ToList();
        if (clips.Count == 0 || clips.Any(File.Exists)) return;
        throw new SpeechTokException($"--audio-root '{root}': none of the {clips.Count} clip(s) of {path} is there (e.g. {clips[0]} is missing); give the folder its audio_path_list paths are relative to");
    }

    /// <summary>The samples of one split in manifest order; an empty split is an error.</summary>
    public IReadOnlyList<ManifestSample> Split(string name)
    {
        var list = Samples.Where(s => s.Split == name).ToList();
        if (Array.IndexOf(SplitNames, name) < 0) throw new SpeechTokException($"split '{name}' is not one of {string.Join("/", SplitNames)}");
        if (list.Count == 0) throw new SpeechTokException($"{Path}: split '{name}' is empty");
        return list;
    }

    /// <summary>
    /// Every class must occur in the train split, or a classifier cannot learn it; in a multi-label task every
    /// label must also be absent from some train sample (one-vs-rest fits one binary model a label).
    /// </summary>
    public void RequireAllClassesInTrain()
    {
        var train = Split("train");
        var count = new int[NumClasses];
        foreach (var s in train) foreach (var l in s.Labels) count[l]++;
        var absent = Enumerable.Range(0, NumClasses).Where(c => count[c] == 0).ToList();
        if (absent.Count > 0)
            throw new SpeechTokException($"{Path}: {absent.Count} class(es) never occur in the train split: {ShortList.Join(", ", absent.Select(LabelText).ToList())}"
                + (ClassCountOrigin is { } origin ? $" ({origin}; class ids are 0..K−1: a typo there? A class-name file {System.IO.Path.GetFileName(LabelNamesPath(Path))} or --num-labels, where a command has it, fixes K and checks every id)" : ""));
        var always = Enumerable.Range(0, NumClasses).Where(c => Task == TaskKind.Multilabel && count[c] == train.Count).ToList();
        if (always.Count > 0)
            throw new SpeechTokException($"{Path}: label(s) {string.Join(", ", always.Select(LabelText))} are on for every train sample; a label needs negatives too");
    }

    /// <summary>"c" or "c (name)" for messages.</summary>
    public string LabelText(int c) => LabelNames is { } n && c < n.Count ? $"{c} ({n[c]})" : c.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Every clip path that does not exist, with the manifest line that names it.</summary>
    public IReadOnlyList<string> MissingClips() =>
        Samples.SelectMany(s => s.AudioPaths.Where(p => !File.Exists(p)).Select(p => $"{Path}:{s.Line} ({s.Key}): {p}"))
            .ToList();

    /// <summary>
    /// The pre-flight check of every command that reads the audio: reads every clip's header (no decoding)
    /// and fails, before any work, with one message counting the samples without clips, the missing clips, the unreadable
    /// clips (with the defect) and the empty clips (0 samples), and listing the first of each kind (<see cref="ShortList"/>)
    /// with its manifest line.
    /// </summary>
    public void RequireClips()
    {
        var missing = new List<string>();
        var unreadable = new List<string>();
        var empty = new List<string>();
        foreach (var s in Samples)
        {
            if (s.AudioPaths.Count == 0) missing.Add($"{s.Where}: empty audio_path_list");
            foreach (var clip in s.AudioPaths)
            {
                if (Directory.Exists(clip)) { unreadable.Add($"{s.Where}: {clip}: a folder, not an audio file"); continue; }
                if (!File.Exists(clip)) { missing.Add($"{s.Where}: {clip}"); continue; }
                try
                {
                    if (AudioLoader.CheckReadable(clip) == 0) empty.Add($"{s.Where}: {clip}: 0 samples");
                }
                catch (SpeechTokException e) { unreadable.Add($"{s.Where}: {e.Message}"); }
            }
        }
        int n = missing.Count + unreadable.Count + empty.Count;
        if (n == 0) return;
        var text = new System.Text.StringBuilder();
        text.Append($"{Path}: {n} clip problem(s) ({missing.Count} missing, {unreadable.Count} unreadable, {empty.Count} empty)");
        if (AudioRoot != System.IO.Path.GetDirectoryName(Path)) text.Append($", audio root {AudioRoot}");
        text.Append("; nothing was processed");
        foreach (var (kind, list) in new[] { ("missing", missing), ("unreadable", unreadable), ("empty", empty) })
            if (list.Count > 0) text.Append($"\n{kind}:\n  ").Append(ShortList.Join("\n  ", list));
        // Not one clip found is a forgotten --audio-root far more often than a dataset with every clip lost (a given
        // --audio-root with no clip under it is refused when the manifest loads).
        int clips = Samples.Sum(s => s.AudioPaths.Count);
        if (clips > 1 && missing.Count == clips && AudioRoot == System.IO.Path.GetDirectoryName(Path))
            text.Append($"\nnone of the {clips} clips is under the manifest's folder: pass --audio-root DIR, the folder its audio_path_list paths are relative to");
        throw new SpeechTokException(text.ToString());
    }
}
