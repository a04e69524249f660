namespace SpeechTok.Audio;

/// <summary>
/// The dataset manifest every command reads: a CSV with a header and the columns <c>split</c>
/// (train/val/test), <c>text</c>, <c>audio_path_list</c> (clips joined by '|', relative to the
/// manifest's folder or to <c>--audio-root</c>) and <c>label</c> (an integer class id, or ';'-separated
/// ids for multi-label tasks); optional <c>index</c> and <c>id</c>; other columns are ignored.
/// Loading never touches the clips, so text-only commands work where the audio is absent.
/// </summary>
public sealed class Manifest
{
    public static readonly string[] SplitNames = ["train", "val", "test"];

    public string Path { get; }
    public string AudioRoot { get; }
    public IReadOnlyList<ManifestSample> Samples { get; }
    public int NumClasses { get; }
    public TaskKind Task { get; }

    private Manifest(string path, string audioRoot, List<ManifestSample> samples, int numClasses, TaskKind task)
    {
        Path = path;
        AudioRoot = audioRoot;
        Samples = samples;
        NumClasses = numClasses;
        Task = task;
    }

    /// <param name="numClasses">The class count when known (labels must lie in 0..K−1); otherwise max label + 1.</param>
    public static Manifest Load(string path, string? audioRoot = null, int? numClasses = null)
    {
        path = System.IO.Path.GetFullPath(path);
        if (!File.Exists(path)) throw new SpeechTokException($"manifest '{path}' does not exist");
        var root = System.IO.Path.GetFullPath(audioRoot ?? System.IO.Path.GetDirectoryName(path)!);
        if (audioRoot != null && !Directory.Exists(root)) throw new SpeechTokException($"--audio-root '{root}' does not exist");

        using var reader = new StreamReader(path, detectEncodingFromByteOrderMarks: true);
        using var records = Csv.Read(reader, path).GetEnumerator();
        if (!records.MoveNext()) throw new SpeechTokException($"{path}: the manifest is empty (a header line is required)");
        var header = records.Current.Fields.Select(h => h.Trim()).ToArray();
        int Col(string name, bool required)
        {
            int i = Array.IndexOf(header, name);
            if (i < 0 && required) throw new SpeechTokException($"{path}:1: required column '{name}' is missing (header: {string.Join(",", header)})");
            return i;
        }
        int cSplit = Col("split", true), cText = Col("text", true), cAudio = Col("audio_path_list", true), cLabel = Col("label", true);
        int cIndex = Col("index", false), cId = Col("id", false);

        var samples = new List<ManifestSample>();
        var positions = new Dictionary<string, int>();
        var seen = new Dictionary<string, int>();
        bool multi = false;
        int maxLabel = -1;
        while (records.MoveNext())
        {
            var (line, f) = records.Current;
            if (f.Length != header.Length)
                throw new SpeechTokException($"{path}:{line}: {f.Length} fields but the header has {header.Length}");
            string Field(int c, string name) => c < f.Length ? f[c] : throw new SpeechTokException($"{path}:{line}: column '{name}' missing");

            var split = Field(cSplit, "split").Trim();
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

            var labelText = Field(cLabel, "label").Trim();
            if (labelText.Contains(';')) multi = true;
            var parts = labelText.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            var labels = new int[parts.Length];
            for (int i = 0; i < parts.Length; i++)
            {
                if (!int.TryParse(parts[i], out labels[i]) || labels[i] < 0)
                    throw new SpeechTokException($"{path}:{line}: column 'label' is '{labelText}', expected a non-negative integer class id (';'-separated for multi-label)");
                if (numClasses is int k && labels[i] >= k)
                    throw new SpeechTokException($"{path}:{line}: label {labels[i]} is outside 0..{k - 1}");
                maxLabel = Math.Max(maxLabel, labels[i]);
            }
            if (labels.Length == 0 && !multi)
                throw new SpeechTokException($"{path}:{line}: column 'label' is empty");

            var clips = Field(cAudio, "audio_path_list").Split('|', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                .Select(p => System.IO.Path.GetFullPath(System.IO.Path.Combine(root, p))).ToArray();
            samples.Add(new ManifestSample(line, split, index, cId >= 0 ? f[cId] : null, Field(cText, "text"), clips, labels));
        }
        if (samples.Count == 0) throw new SpeechTokException($"{path}: the manifest has a header but no samples");
        int classes = numClasses ?? maxLabel + 1;
        var task = multi ? TaskKind.Multilabel : classes <= 2 ? TaskKind.Binary : TaskKind.Multiclass;
        if (classes < 2) throw new SpeechTokException($"{path}: only one class ({maxLabel}) occurs; classification needs at least two");
        return new Manifest(path, root, samples, classes, task);
    }

    /// <summary>The samples of one split in manifest order; an empty split is an error.</summary>
    public IReadOnlyList<ManifestSample> Split(string name)
    {
        var list = Samples.Where(s => s.Split == name).ToList();
        if (list.Count == 0) throw new SpeechTokException($"{Path}: split '{name}' is empty");
        return list;
    }

    /// <summary>Every class must occur in the train split, or a classifier cannot learn it.</summary>
    public void RequireAllClassesInTrain()
    {
        var present = new bool[NumClasses];
        foreach (var s in Split("train")) foreach (var l in s.Labels) present[l] = true;
        var absent = Enumerable.Range(0, NumClasses).Where(c => !present[c]).ToList();
        if (absent.Count > 0)
            throw new SpeechTokException($"{Path}: class(es) {string.Join(", ", absent)} never occur in the train split");
    }

    /// <summary>Every clip path that does not exist, with the manifest line that names it.</summary>
    public IReadOnlyList<string> MissingClips() =>
        Samples.SelectMany(s => s.AudioPaths.Where(p => !File.Exists(p)).Select(p => $"{Path}:{s.Line} ({s.Key}): {p}"))
            .ToList();

    /// <summary>Fails, before any work, with the full list of missing clips (never a silent skip).</summary>
    public void RequireClips()
    {
        var noClip = Samples.Where(s => s.AudioPaths.Count == 0).Select(s => $"{Path}:{s.Line} ({s.Key}): empty audio_path_list").ToList();
        var missing = noClip.Concat(MissingClips()).ToList();
        if (missing.Count > 0)
            throw new SpeechTokException($"{missing.Count} missing clip(s) in {Path}" + (AudioRoot != System.IO.Path.GetDirectoryName(Path) ? $" (audio root {AudioRoot})" : "") + ":\n  " + string.Join("\n  ", missing));
    }
}
