using System.Text.Json.Serialization;
using SpeechTok.IO;

namespace SpeechTok.Evaluation;

/// <summary>
/// The common results.json of <c>experiment</c> and <c>baseline</c>: <c>{"format_version", "manifest", "manifest_sha256", "task",
/// "class_names", "systems": [...]}</c>.
/// </summary>
public sealed record ExperimentResults : IArtifact
{
    public const string FileName = "results.json";
    /// <summary>results.json carries a version but no format tag (files written before the tag existed must keep loading).</summary>
    public static readonly ArtifactKind Kind = new("results", Format: null, Version: 1);
    private static readonly string[] Tasks = ["multiclass", "binary", "multilabel"];

    [JsonPropertyName("manifest")] public required string Manifest { get; init; }
    /// <summary>
    /// sha256 (lowercase hex) of the manifest file the results were computed on (<c>Manifest.Sha256</c>), so that results of an
    /// edited manifest are not added beside them. Null in files written before it was recorded (the version did not change:
    /// readers ignore fields they do not know), and for runs whose run.json lacks it.
    /// </summary>
    [JsonPropertyName("manifest_sha256")] public string? ManifestSha256 { get; init; }
    /// <summary>"multiclass", "binary" or "multilabel".</summary>
    [JsonPropertyName("task")] public required string Task { get; init; }
    [JsonPropertyName("class_names")] public IReadOnlyList<string>? ClassNames { get; init; }
    [JsonPropertyName("systems")] public IReadOnlyList<SystemResult> Systems { get; init; } = [];

    public static string TaskName(TaskKind task) => task switch
    {
        TaskKind.Binary => "binary",
        TaskKind.Multiclass => "multiclass",
        _ => "multilabel",
    };

    public SystemResult? Find(string system, string split = "test") => Systems.FirstOrDefault(s => s.System == system && s.Split == split);

    /// <summary>A copy with <paramref name="result"/> added, replacing the entry of the same system and split (order kept).</summary>
    public ExperimentResults With(SystemResult result)
    {
        var list = Systems.ToList();
        int i = list.FindIndex(s => s.System == result.System && s.Split == result.Split);
        if (i >= 0) list[i] = result;
        else list.Add(result);
        return this with { Systems = list };
    }

    public static ExperimentResults Load(string path) => ArtifactJson.Load<ExperimentResults>(path, Kind);

    /// <summary>Validates, then writes atomically; an invalid record leaves the file untouched.</summary>
    public void Save(string path) => ArtifactJson.Save(path, this, Kind);

    /// <summary>
    /// Adds or replaces one system's entry in the results file at <paramref name="path"/> (created when absent); a file
    /// without class names takes <paramref name="classNames"/>. The file must hold results of the same manifest path and
    /// task, and, when both the file and the caller know it, of the same manifest content (<paramref name="manifestSha256"/>):
    /// results of two versions of one manifest are never mixed. A file without the hash (an older build's) stays without
    /// it: the manifest may have changed since its entries were computed, so the current hash would claim an origin it cannot know.
    /// Writers of one file take turns (<see cref="LockPath"/>), so that concurrent upserts all keep their entries.
    /// </summary>
    public static ExperimentResults Upsert(string path, string manifest, string? manifestSha256, string task, SystemResult result, IReadOnlyList<string>? classNames = null)
    {
        path = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        // Two commands adding to one file at once (evaluate of two runs into one folder, baseline beside experiment) each
        // read it before the other wrote, and one entry was lost. The read-modify-write takes milliseconds: wait for it.
        using var held = FileLock.Acquire(LockPath(path), path, LockWait);
        var current = Existing(path, manifest, manifestSha256, task) ?? new ExperimentResults { Manifest = manifest, Task = task, ManifestSha256 = manifestSha256 };
        var updated = (current with { ClassNames = current.ClassNames ?? classNames }).With(result);
        updated.Save(path);
        return updated;
    }

    /// <summary>The lock file <see cref="Upsert"/> holds beside <paramref name="path"/>: <c>.results.json.lock</c>.</summary>
    public static string LockPath(string path) => Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, $".{Path.GetFileName(path)}.lock");

    /// <summary>How long <see cref="Upsert"/> waits for another writer of the file.</summary>
    private static readonly TimeSpan LockWait = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The results file at <paramref name="path"/>, or null when absent; an error when <see cref="Upsert"/> would refuse
    /// to add to it, so that a command can check before its work rather than after.
    /// </summary>
    public static ExperimentResults? Existing(string path, string manifest, string? manifestSha256, string task)
    {
        if (!File.Exists(path)) return null;
        var current = Load(path);
        if (current.Manifest != manifest || current.Task != task)
            throw new SpeechTokException($"{path}: holds results of '{current.Manifest}' ({current.Task}), not of '{manifest}' ({task}); use another output folder");
        if (current.ManifestSha256 is { } was && manifestSha256 is { } now && was != now)
            throw new SpeechTokException($"{path}: holds results of {manifest} as it was then (manifest_sha256 {was}), but the manifest has changed since " +
                $"(sha256 now {now}); results of two versions of one manifest are never mixed, so nothing was written. Use a new --out for the edited " +
                "manifest (or restore the manifest to add to these results)");
        return current;
    }

    /// <summary>Every score in [0, 1], a known task, unique (system, split) entries, square confusion matrices.</summary>
    public void Validate(string path)
    {
        void Fail(string what) => throw new SpeechTokException($"{path}: {what}");
        void Score(string field, double? v)
        {
            if (v is double d && !(d >= 0 && d <= 1)) Fail($"{field} is {d}, expected a value in [0, 1]");
        }
        var r = this;
        if (string.IsNullOrWhiteSpace(r.Manifest)) Fail("'manifest' is empty");
        if (r.ManifestSha256 is { } sha && (sha.Length != 64 || !sha.All(char.IsAsciiHexDigitLower)))
            Fail($"'manifest_sha256' is '{sha}', expected 64 lowercase hex digits");
        if (Array.IndexOf(Tasks, r.Task) < 0) Fail($"'task' is '{r.Task}', expected one of {string.Join("|", Tasks)}");
        if (r.Systems.Count == 0) Fail("'systems' is empty");
        var names = new HashSet<(string, string)>();
        for (int i = 0; i < r.Systems.Count; i++)
        {
            var s = r.Systems[i];
            var at = $"systems[{i}]";
            if (string.IsNullOrWhiteSpace(s.System)) Fail($"{at}.system is empty");
            at = $"systems[{i}] ('{s.System}')";
            if (!names.Add((s.System, s.Split))) Fail($"{at}: duplicate entry for split '{s.Split}'");
            if (string.IsNullOrWhiteSpace(s.Split)) Fail($"{at}.split is empty");
            Score($"{at}.macro_f1", s.MacroF1);
            Score($"{at}.macro_f1_bagged", s.MacroF1Bagged);
            Score($"{at}.macro_f1_vote", s.MacroF1Vote);
            Score($"{at}.macro_f1_all_labels", s.MacroF1AllLabels);
            Score($"{at}.f1_class_1", s.F1Class1);
            Score($"{at}.micro_f1", s.MicroF1);
            Score($"{at}.accuracy", s.Accuracy);
            Score($"{at}.accuracy_bagged", s.AccuracyBagged);
            if (s.PerLabelF1 is { } pl)
            {
                for (int c = 0; c < pl.Length; c++) Score($"{at}.per_label_f1[{c}]", pl[c]);
                if (r.ClassNames is { } cn && cn.Count != pl.Length) Fail($"{at}.per_label_f1 has {pl.Length} entries but there are {cn.Count} class names");
            }
            if (s.MacroF1Std is double sd && !(sd >= 0 && sd <= 1)) Fail($"{at}.macro_f1_std is {sd}, expected a value in [0, 1]");
            if (s.SelectedTokens is < 0) Fail($"{at}.selected_tokens is {s.SelectedTokens}, expected ≥ 0");
            if (s.Seconds is double sec && !(sec >= 0)) Fail($"{at}.seconds is {sec}, expected ≥ 0");
            for (int k = 0; k < s.PerSeed.Count; k++)
            {
                Score($"{at}.per_seed[{k}].macro_f1", s.PerSeed[k].MacroF1);
                Score($"{at}.per_seed[{k}].macro_f1_all_labels", s.PerSeed[k].MacroF1AllLabels);
                Score($"{at}.per_seed[{k}].f1_class_1", s.PerSeed[k].F1Class1);
                Score($"{at}.per_seed[{k}].micro_f1", s.PerSeed[k].MicroF1);
                Score($"{at}.per_seed[{k}].accuracy", s.PerSeed[k].Accuracy);
                foreach (var v in s.PerSeed[k].PerLabelF1 ?? []) Score($"{at}.per_seed[{k}].per_label_f1", v);
            }
            if (s.ConfusionMatrix is { } cm)
            {
                int kk = cm.Length;
                if (cm.Any(row => row == null || row.Length != kk || row.Any(c => c < 0)))
                    Fail($"{at}.confusion_matrix must be a square matrix of non-negative counts");
                if (r.ClassNames is { } cn && cn.Count != kk)
                    Fail($"{at}.confusion_matrix is {kk}×{kk} but there are {cn.Count} class names");
            }
        }
    }
}
