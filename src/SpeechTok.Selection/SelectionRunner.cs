using SpeechTok.Tensors.IO;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using SpeechTok.Audio;

namespace SpeechTok.Selection;

public sealed record SelectOptions
{
    public required string ManifestPath { get; init; }
    public string? AudioRoot { get; init; }
    /// <summary>K when known: labels outside 0..K−1 are then manifest errors; otherwise max label + 1.</summary>
    public int? NumClasses { get; init; }
    /// <summary>1-based RVQ layer numbers, ascending (2–8 = acoustic only, 1–8 = all).</summary>
    public required int[] Layers { get; init; }
    public bool Bow { get; init; } = true;
    public double C { get; init; } = 0.03;
    public double[] SweepC { get; init; } = [];
    /// <summary>JSON with <c>inner_train_idx</c> / <c>inner_test_idx</c> (indices into the train split); else a seeded stratified 80/20.</summary>
    public string? SplitFile { get; init; }
    public int? RandomK { get; init; }
    public ulong Seed { get; init; } = 42;
    public double Tolerance { get; init; } = 1e-7;
}

/// <summary>`speechtok select`: METHOD §2.3–2.5 on a manifest's train split, written as selection.json.</summary>
public static class SelectionRunner
{
    public const string Format = "speechtok-selection";
    public const int FormatVersion = 1;

    /// <param name="codes">codes[layer][frame] of a sample, or null when the store has none.</param>
    public static JsonObject Run(SelectOptions o, Func<ManifestSample, int[][]?> codes)
    {
        if (o.Layers.Length == 0) throw new SpeechTokException("--layers selects no RVQ layer");
        var manifest = Manifest.Load(o.ManifestPath, o.AudioRoot, o.NumClasses);
        var train = manifest.Split("train");
        manifest.RequireAllClassesInTrain();
        int audioCols = o.Layers.Length * TokenSelection.CodebookSize;
        var doc = new JsonObject
        {
            ["format"] = Format,
            ["version"] = FormatVersion,
            ["manifest"] = manifest.Path,
            ["task"] = ExperimentResults.TaskName(manifest.Task),
            ["num_classes"] = manifest.NumClasses,
            ["label_names"] = manifest.LabelNames is { } names ? new JsonArray(names.Select(n => (JsonNode)n).ToArray()) : null,
            ["layers"] = new JsonArray(o.Layers.Select(l => (JsonNode)l).ToArray()),
        };

        var missing = new List<string>();
        var rows = new List<(string, int[][])>(train.Count);
        foreach (var s in train)
        {
            var c = codes(s);
            if (c == null) missing.Add($"{manifest.Path}:{s.Line} ({s.Key})");
            else rows.Add((s.Key, c));
        }
        // The random ablation may run without codes (then it draws from every column, as the original does).
        bool randomWithoutCodes = o.RandomK != null && rows.Count == 0;
        if (missing.Count > 0 && !randomWithoutCodes)
            throw new SpeechTokException($"codes missing for {missing.Count} train sample(s) (run `speechtok tokenize` on the manifest first):\n  " + string.Join("\n  ", missing.Take(20)) + (missing.Count > 20 ? $"\n  … and {missing.Count - 20} more" : ""));

        var counts = TokenSelection.AudioBagOfTokens(rows, o.Layers);
        var occurringAudio = counts.NonZeroColumns();
        if (o.RandomK is int k)
        {
            // Drawn among the codes that occur in train: a tokenizer that uses fewer than 1024 codes a layer
            // (the built-in one on small data) would otherwise hand the ablation mostly tokens that never appear.
            var occurring = randomWithoutCodes ? Enumerable.Range(0, audioCols).ToArray() : occurringAudio;
            var ids = TokenSelection.RandomSelection(k, occurring, o.Seed);
            doc["mode"] = "random";
            doc["seed"] = o.Seed;
            AddSelection(doc, ids);
            doc["counts"] = new JsonObject { ["audio_columns"] = audioCols, ["drawn_from"] = occurring.Length, ["selected_audio"] = ids.Length };
            return doc;
        }
        int textCols = 0;
        if (o.Bow)
        {
            var vec = CountVectorizer.Fit(train.Select(s => s.Text));
            textCols = vec.Count;
            counts = counts.HStack(vec.Transform(train.Select(s => s.Text).ToList()));
        }
        if (manifest.Task == TaskKind.Multilabel)
        {
            FillMultiLabel(doc, o, manifest, train, counts, audioCols, occurringAudio.Length, textCols);
            return doc;
        }
        var labels = train.Select(s => s.Label).ToArray();
        var (innerTrain, innerTest, splitSource) = InnerSplit(o, labels, manifest.NumClasses);
        var problem = SelectionProblem.Prepare(counts, audioCols, labels, manifest.NumClasses, innerTrain, innerTest);
        var cs = new List<double> { o.C };
        cs.AddRange(o.SweepC.Where(c => c != o.C));
        var outcomes = TokenSelection.Run(problem, cs, new LogisticOptions { Tolerance = o.Tolerance });
        var main = outcomes[0];
        TokenSelection.RequireNonZero(main);

        doc["mode"] = "model";
        doc["use_bow"] = o.Bow;
        doc["C"] = o.C;
        AddSelection(doc, main.SelectedAudio);
        doc["counts"] = new JsonObject
        {
            ["train_samples"] = train.Count,
            ["inner_train"] = innerTrain.Length,
            ["inner_test"] = innerTest.Length,
            ["audio_columns"] = audioCols,
            ["occurring_audio_columns"] = occurringAudio.Length,
            ["text_columns"] = textCols,
            ["nonzero_coefficients"] = main.Fit.NonZeroCount,
            ["selected_columns"] = main.SelectedColumns.Length,
            ["selected_audio"] = main.SelectedAudio.Length,
            ["selected_text"] = main.SelectedText,
        };
        doc["threshold"] = main.Threshold;
        doc["solver"] = SolverNode(main.Fit, o.Tolerance);
        doc["inner_split"] = new JsonObject
        {
            ["source"] = splitSource,
            ["macro_f1"] = main.InnerMacroF1,
            ["f1_class_1"] = manifest.Task == TaskKind.Binary ? main.InnerF1Class1 : null,
        };
        if (o.SweepC.Length > 0)
            doc["sweep"] = new JsonArray(o.SweepC.Select(c => (JsonNode)SweepEntry(outcomes[cs.IndexOf(c)], manifest.Task)).ToArray());
        return doc;
    }

    /// <summary>The one-vs-rest selection (<see cref="MultiLabelSelection"/>), stratified on the label combination.</summary>
    private static void FillMultiLabel(JsonObject doc, SelectOptions o, Manifest manifest, IReadOnlyList<ManifestSample> train, CsrMatrix counts,
        int audioCols, int occurringAudio, int textCols)
    {
        var sets = train.Select(s => s.Labels).ToList();
        var combos = MultiLabelSelection.CombinationIds(sets, out int comboCount);
        var (innerTrain, innerTest, splitSource) = InnerSplit(o, combos, comboCount);
        if (o.SplitFile == null) splitSource = splitSource.Replace("stratified", "stratified by label combination");
        var problem = SelectionProblem.Prepare(counts, audioCols, combos, comboCount, innerTrain, innerTest);
        var cs = new List<double> { o.C };
        cs.AddRange(o.SweepC.Where(c => c != o.C));
        var outcomes = MultiLabelSelection.Run(problem, innerTrain.Select(i => sets[i]).ToList(), innerTest.Select(i => sets[i]).ToList(),
            manifest.NumClasses, cs, new LogisticOptions { Tolerance = o.Tolerance }, manifest.LabelText);
        var main = outcomes[0];
        if (main.AllZero || main.SelectedAudio.Length == 0)
            throw new SpeechTokException($"at C={o.C} no label's model keeps an audio token (every coefficient zero, or text only); use a larger C");

        doc["mode"] = "model";
        doc["use_bow"] = o.Bow;
        doc["C"] = o.C;
        doc["one_vs_rest"] = true;
        AddSelection(doc, main.SelectedAudio);
        doc["counts"] = new JsonObject
        {
            ["train_samples"] = train.Count,
            ["inner_train"] = innerTrain.Length,
            ["inner_test"] = innerTest.Length,
            ["audio_columns"] = audioCols,
            ["occurring_audio_columns"] = occurringAudio,
            ["text_columns"] = textCols,
            ["nonzero_coefficients"] = main.PerLabel.Sum(p => p.Fit.NonZeroCount),
            ["selected_audio"] = main.SelectedAudio.Length,
        };
        doc["per_label"] = MultiLabelSelection.PerLabelNode(main, l => manifest.LabelNames?[l]);
        doc["solver"] = SolverNode(main.PerLabel.OrderByDescending(p => p.Fit.Kkt).First().Fit, o.Tolerance);
        doc["inner_split"] = new JsonObject
        {
            ["source"] = splitSource,
            ["macro_f1"] = main.Inner.MacroF1,
            ["micro_f1"] = main.Inner.MicroF1,
        };
        if (o.SweepC.Length > 0)
            doc["sweep"] = new JsonArray(o.SweepC.Select(c => (JsonNode)new JsonObject
            {
                ["C"] = c,
                ["all_zero"] = outcomes[cs.IndexOf(c)].AllZero,
                ["selected_audio"] = outcomes[cs.IndexOf(c)].SelectedAudio.Length,
                ["nonzero_coefficients"] = outcomes[cs.IndexOf(c)].PerLabel.Sum(p => p.Fit.NonZeroCount),
                ["inner_macro_f1"] = outcomes[cs.IndexOf(c)].Inner.MacroF1,
                ["inner_micro_f1"] = outcomes[cs.IndexOf(c)].Inner.MicroF1,
            }).ToArray());
    }

    /// <summary>The solver's report of a fit (for a one-vs-rest selection: the label fit with the largest KKT residual).</summary>
    private static JsonObject SolverNode(LogisticFit f, double tol) => new()
    {
        ["method"] = "block proximal Newton, active set + strong rule, C path with warm starts",
        ["objective"] = f.Objective,
        ["kkt_residual"] = f.Kkt,
        ["tolerance"] = tol,
        ["converged"] = f.Converged,
        ["outer_iterations"] = f.OuterIterations,
    };

    private static JsonObject SweepEntry(SelectionOutcome o, TaskKind task) => new()
    {
        ["C"] = o.Fit.C,
        ["all_zero"] = o.AllZero,
        ["selected_audio"] = o.AllZero ? 0 : o.SelectedAudio.Length,
        ["selected_text"] = o.AllZero ? 0 : o.SelectedText,
        ["nonzero_coefficients"] = o.Fit.NonZeroCount,
        ["inner_macro_f1"] = o.InnerMacroF1,
        ["inner_f1_class_1"] = task == TaskKind.Binary ? o.InnerF1Class1 : null,
        ["objective"] = o.Fit.Objective,
        ["kkt_residual"] = o.Fit.Kkt,
    };

    private static void AddSelection(JsonObject doc, int[] ids)
    {
        doc["selected_features"] = new JsonArray(ids.Select(i => (JsonNode)i).ToArray());
        doc["tokens"] = new JsonArray(ids.Select((_, r) => (JsonNode)$"<audio_token_{r}>").ToArray());
    }

    private static (int[] Train, int[] Test, string Source) InnerSplit(SelectOptions o, int[] labels, int numClasses)
    {
        if (o.SplitFile == null)
        {
            var (tr, te) = TokenSelection.StratifiedSplit(labels, numClasses, 0.2, o.Seed);
            return (tr, te, $"stratified 80/20, seed {o.Seed}");
        }
        var (a, b) = ReadSplit(o.SplitFile, labels.Length);
        return (a, b, Path.GetFullPath(o.SplitFile));
    }

    /// <summary>Reads <c>inner_train_idx</c>/<c>inner_test_idx</c>; indices must be distinct and within 0..n−1.</summary>
    public static (int[] Train, int[] Test) ReadSplit(string path, int n)
    {
        if (!File.Exists(path)) throw new SpeechTokException($"split file '{path}' does not exist");
        JsonElement root;
        try { root = JsonDocument.Parse(File.ReadAllText(path)).RootElement; }
        catch (JsonException e) { throw new SpeechTokException($"{path}: not valid JSON ({e.Message})"); }
        int[] Read(string name)
        {
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty(name, out var arr) || arr.ValueKind != JsonValueKind.Array)
                throw new SpeechTokException($"{path}: field '{name}' (an array of train-split row indices) is missing");
            return arr.EnumerateArray().Select((v, i) => v.TryGetInt32(out int x) && x >= 0 && x < n ? x
                : throw new SpeechTokException($"{path}: {name}[{i}] = {v} is not a row index in 0..{n - 1}")).ToArray();
        }
        var tr = Read("inner_train_idx");
        var te = Read("inner_test_idx");
        var seen = new HashSet<int>();
        foreach (var i in tr.Concat(te)) if (!seen.Add(i)) throw new SpeechTokException($"{path}: row {i} appears twice");
        return (tr, te);
    }

    /// <summary>"2-8", "1-8", "1,3,5-8" → ascending distinct 1-based layer numbers within 1..maxLayers.</summary>
    public static int[] ParseLayers(string spec, int maxLayers = 8)
    {
        var set = new SortedSet<int>();
        foreach (var part in spec.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var ends = part.Split('-');
            if (ends.Length is < 1 or > 2 || !int.TryParse(ends[0], out int a) || !int.TryParse(ends[^1], out int b) || a > b || a < 1 || b > maxLayers)
                throw new SpeechTokException($"--layers '{spec}': '{part}' is not a layer or range within 1..{maxLayers}");
            for (int l = a; l <= b; l++) set.Add(l);
        }
        if (set.Count == 0) throw new SpeechTokException($"--layers '{spec}' selects no layer");
        return set.ToArray();
    }

    public static string ToJson(JsonNode node) => node.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";

    internal static string Invariant(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
