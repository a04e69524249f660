using System.Text.Json;
using SpeechTok.Audio;
using SpeechTok.Codec;
using SpeechTok.Evaluation;
using SpeechTok.IO;

namespace SpeechTok.Selection;

/// <summary>`speechtok select`: METHOD §2.3–2.5 on a manifest's train split, as a <see cref="SelectionFile"/>.</summary>
public static class SelectionRunner
{
    /// <param name="codes">codes[layer][frame] of a sample, or null when the store has none.</param>
    /// <param name="missingNote">Appended to the missing-codes error (the store's <c>DamageNote</c>).</param>
    public static SelectionFile Run(SelectOptions o, Func<ManifestSample, int[][]?> codes, string missingNote = "")
    {
        var manifest = o.Manifest;
        var layout = o.Layout;
        o.ChooseC?.Validate(cGiven: false, o.SweepC.Length, random: o.RandomK != null);
        ValidateCv(o);
        var train = manifest.Split("train");
        manifest.RequireAllClassesInTrain();
        int audioCols = layout.FeatureCount;
        var head = new SelectionFile
        {
            Manifest = manifest.Path,
            Task = ExperimentResults.TaskName(manifest.Task),
            NumClasses = manifest.NumClasses,
            LabelNames = manifest.LabelNames,
            Layers = layout.LayerNumbers,
            CodebookSize = layout.CodebookSize,
            SelectedFeatures = [],
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
            throw new SpeechTokException($"codes missing for {missing.Count} train sample(s) (run `speechtok tokenize` on the manifest first){missingNote}:\n  " + ShortList.Join("\n  ", missing));

        var counts = TokenSelection.AudioBagOfTokens(rows, layout);
        var occurringAudio = counts.NonZeroColumns();
        o.ChooseC?.RequireNonEmpty(occurringAudio.Length); // before the sweep's fits, not after them
        if (o.RandomK is int k)
        {
            // Drawn among the codes that occur in train: a tokenizer that uses fewer codes a layer than the
            // codebook size (the built-in one on small data) would otherwise hand the ablation mostly tokens that never appear.
            var occurring = randomWithoutCodes ? Enumerable.Range(0, audioCols).ToArray() : occurringAudio;
            var ids = TokenSelection.RandomSelection(k, occurring, o.Seed);
            return head with
            {
                Mode = SelectionFile.RandomMode,
                Seed = o.Seed,
                SelectedFeatures = ids,
                Tokens = TokenNames(ids),
                Counts = new SelectionFile.SelectionCounts { AudioColumns = audioCols, DrawnFrom = occurring.Length, SelectedAudio = ids.Length },
            };
        }
        int textCols = 0;
        if (o.Bow)
        {
            var vec = CountVectorizer.Fit(train.Select(s => s.Text), $"{manifest.Path} (train split)");
            textCols = vec.Count;
            counts = counts.HStack(vec.Transform(train.Select(s => s.Text).ToList()));
        }
        // Multi-label: the inner split is stratified on the label combination, and one-vs-rest fits label by label.
        bool multi = manifest.Task == TaskKind.Multilabel;
        var sets = train.Select(s => s.Labels).ToList();
        int strataCount = manifest.NumClasses;
        var strata = multi ? MultiLabelSelection.CombinationIds(sets, out strataCount) : train.Select(s => s.Label).ToArray();
        var (innerTrain, innerTest, splitSource) = InnerSplit(o, strata, strataCount);
        if (!multi && o.CvFolds > 1 && o.SweepC.Length > 0)
            foreach (var g in strata.GroupBy(y => y).Where(g => g.Count() < o.CvFolds).OrderBy(g => g.Key).Take(1))
                throw new SpeechTokException($"{manifest.Path}: class {manifest.LabelText(g.Key)} has {g.Count()} train sample(s), fewer than the {o.CvFolds} cross-validation folds; " +
                    (g.Count() >= 2 ? $"use at most {g.Count()} folds" : "drop --cv (the inner split alone then scores the sweep)"));
        if (multi && o.SplitFile == null) splitSource = splitSource.Replace("stratified", "stratified by label combination");
        var problem = SelectionProblem.Prepare(counts, audioCols, strata, strataCount, innerTrain, innerTest);
        // The selection's C first; choosing it, the sweep alone (FitPath solves any order ascending, so the fits are the same).
        List<double> cs = o.ChooseC == null ? [o.C, .. o.SweepC.Where(c => c != o.C)] : [.. o.SweepC.Distinct()];
        head = head with
        {
            Mode = SelectionFile.ModelMode,
            UseBow = o.Bow,
            Counts = new SelectionFile.SelectionCounts
            {
                TrainSamples = train.Count, InnerTrain = innerTrain.Length, InnerTest = innerTest.Length,
                AudioColumns = audioCols, OccurringAudioColumns = occurringAudio.Length, TextColumns = textCols,
            },
        };
        if (multi)
        {
            var solverOptions = new LogisticOptions { Tolerance = o.Tolerance };
            IReadOnlyList<int[]> Sets(int[] rows) => rows.Select(i => sets[i]).ToList();
            IReadOnlyList<MultiLabelOutcome> Fit(SelectionProblem p, int[] tr, int[] te) =>
                MultiLabelSelection.Run(p, Sets(tr), Sets(te), manifest.NumClasses, cs, solverOptions, manifest.LabelText);
            var inner = Fit(problem, innerTrain, innerTest);
            static double[][] MultiScores(IReadOnlyList<MultiLabelOutcome> m) => m.Select(x => new[] { x.Inner.MacroF1 }).ToArray();
            var multiCv = CrossValidated(o, strata, strataCount, innerTest, MultiScores(inner),
                (tr, te) => MultiScores(Fit(SelectionProblem.Prepare(counts, audioCols, strata, strataCount, tr, te), tr, te)));
            return MultiLabel(head, o, inner, multiCv, cs, splitSource);
        }
        var solver = new LogisticOptions { Tolerance = o.Tolerance };
        var outcomes = TokenSelection.Run(problem, cs, solver);
        bool binary = manifest.Task == TaskKind.Binary;
        var cv = CrossValidated(o, strata, strataCount, innerTest, Scores(outcomes),
            (tr, te) => Scores(TokenSelection.Run(SelectionProblem.Prepare(counts, audioCols, strata, strataCount, tr, te), cs, solver)));
        var sweep = o.SweepC.Select(c => SweepPoint(outcomes[cs.IndexOf(c)], binary) with
        {
            CvMacroF1 = cv?[cs.IndexOf(c)][0],
            CvF1Class1 = binary ? cv?[cs.IndexOf(c)][1] : null,
        }).ToList();
        head = Chosen(head, o, cs, sweep, binary, out int chosen);
        var main = outcomes[chosen];
        TokenSelection.RequireNonZero(main);
        return head with
        {
            SelectedFeatures = main.SelectedAudio,
            Tokens = TokenNames(main.SelectedAudio),
            Counts = head.Counts! with
            {
                NonzeroCoefficients = main.Fit.NonZeroCount,
                SelectedColumns = main.SelectedColumns.Length,
                SelectedAudio = main.SelectedAudio.Length,
                SelectedText = main.SelectedText,
            },
            Threshold = main.Threshold,
            Solver = Solver(main.Fit, o.Tolerance),
            InnerSplit = new SelectionFile.InnerSplitScore
            {
                Source = splitSource,
                MacroF1 = main.InnerMacroF1,
                F1Class1 = binary ? main.InnerF1Class1 : null,
            },
            Sweep = o.SweepC.Length == 0 ? null : sweep,
            CvFolds = cv == null ? null : o.CvFolds,
        };
    }

    /// <summary>Inner-split F1 per C (macro, class 1) of single-label outcomes.</summary>
    private static double[][] Scores(IReadOnlyList<SelectionOutcome> outcomes) => outcomes.Select(x => new[] { x.InnerMacroF1, x.InnerF1Class1 }).ToArray();

    private static void ValidateCv(SelectOptions o)
    {
        if (o.CvFolds < 1) throw new SpeechTokException($"--cv {o.CvFolds}: the number of cross-validation folds must be at least 1 (1: the inner split alone scores the sweep)");
        if (o.CvFolds == 1) return;
        if (o.RandomK != null) throw new SpeechTokException("--cv scores the L1 model's C sweep; --random K draws without it: drop --cv");
        if (o.SplitFile != null) throw new SpeechTokException("--split gives one inner split; --cv K draws K folds: pass one (--cv 1 with --split)");
    }

    /// <summary>
    /// With <see cref="SelectOptions.CvFolds"/> &gt; 1 and a sweep: per C (the index into the fitted Cs), the scores of
    /// <paramref name="fit"/> averaged over the stratified folds of the train split (each fitted on the other folds, TF-IDF
    /// and scaler included); the fold equal to the inner split reuses <paramref name="innerScores"/>. Else null.
    /// </summary>
    /// <param name="fit">Scores per C of a fit on the first rows, scored on the second (train-split row indices).</param>
    private static double[][]? CrossValidated(SelectOptions o, int[] strata, int strataCount, int[] innerTest, double[][] innerScores,
        Func<int[], int[], double[][]> fit)
    {
        if (o.CvFolds <= 1 || o.SweepC.Length == 0) return null;
        var folds = TokenSelection.StratifiedFolds(strata, strataCount, o.CvFolds, o.Seed);
        var mean = innerScores.Select(s => new double[s.Length]).ToArray();
        foreach (var test in folds)
        {
            var inTest = new HashSet<int>(test);
            var scores = test.SequenceEqual(innerTest) ? innerScores : fit(Enumerable.Range(0, strata.Length).Where(i => !inTest.Contains(i)).ToArray(), test);
            for (int j = 0; j < mean.Length; j++)
                for (int m = 0; m < mean[j].Length; m++) mean[j][m] += scores[j][m] / folds.Length;
        }
        return mean;
    }

    /// <summary>
    /// <paramref name="head"/> with the selection's C: <see cref="SelectOptions.C"/> (<paramref name="index"/> 0 of
    /// <paramref name="cs"/>), or with <see cref="SelectOptions.ChooseC"/> the C that <see cref="CChoice"/> picks from the sweep.
    /// </summary>
    private static SelectionFile Chosen(SelectionFile head, SelectOptions o, List<double> cs, IReadOnlyList<SelectionFile.SweepPoint> sweep, bool binary, out int index)
    {
        if (o.ChooseC is not { } range)
        {
            index = 0;
            return head with { C = o.C };
        }
        int occurring = head.Counts!.OccurringAudioColumns!.Value;
        double c = CChoice.Choose(CChoice.Points(sweep, binary), range, occurring);
        index = cs.IndexOf(c);
        return head with { C = c, CChoice = CChoice.Describe(range, occurring, sweep.Any(p => p.CvMacroF1 != null) ? o.CvFolds : 1) };
    }

    /// <summary>The one-vs-rest selection (<see cref="MultiLabelSelection"/>) from its fits on the inner split, and their cross-validated scores when asked.</summary>
    private static SelectionFile MultiLabel(SelectionFile head, SelectOptions o, IReadOnlyList<MultiLabelOutcome> outcomes, double[][]? cv,
        List<double> cs, string splitSource)
    {
        var manifest = o.Manifest;
        var sweep = o.SweepC.Select(c => outcomes[cs.IndexOf(c)]).Select(m => new SelectionFile.SweepPoint
        {
            CvMacroF1 = cv?[cs.IndexOf(m.C)][0],
            C = m.C,
            AllZero = m.AllZero,
            SelectedAudio = m.SelectedAudio.Length,
            NonzeroCoefficients = m.PerLabel.Sum(p => p.Fit.NonZeroCount),
            InnerMacroF1 = m.Inner.MacroF1,
            InnerMicroF1 = m.Inner.MicroF1,
            Objective = m.PerLabel.Sum(p => p.Fit.Objective),
            KktResidual = m.PerLabel.Max(p => p.Fit.Kkt),
        }).ToList();
        head = Chosen(head, o, cs, sweep, binary: false, out int chosen);
        var main = outcomes[chosen];
        if (main.SelectedAudio.Length == 0)
            throw new SpeechTokException($"at C={main.C} no label's model keeps an audio token (every coefficient zero, or text only); use a larger C");
        return head with
        {
            OneVsRest = true,
            SelectedFeatures = main.SelectedAudio,
            Tokens = TokenNames(main.SelectedAudio),
            Counts = head.Counts! with
            {
                NonzeroCoefficients = main.PerLabel.Sum(p => p.Fit.NonZeroCount),
                SelectedAudio = main.SelectedAudio.Length,
            },
            PerLabel = MultiLabelSelection.PerLabel(main, l => manifest.LabelNames?[l]),
            Solver = Solver(main.PerLabel.OrderByDescending(p => p.Fit.Kkt).First().Fit, o.Tolerance),
            InnerSplit = new SelectionFile.InnerSplitScore { Source = splitSource, MacroF1 = main.Inner.MacroF1, MicroF1 = main.Inner.MicroF1 },
            Sweep = o.SweepC.Length == 0 ? null : sweep,
            CvFolds = cv == null ? null : o.CvFolds,
        };
    }

    /// <summary>The solver's report of a fit (one-vs-rest: the label fit with the largest KKT residual).</summary>
    private static SelectionFile.SolverReport Solver(LogisticFit fit, double tolerance) => new()
    {
        Method = "block proximal Newton, active set + strong rule, C path with warm starts",
        Objective = fit.Objective,
        KktResidual = fit.Kkt,
        Tolerance = tolerance,
        Converged = fit.Converged,
        OuterIterations = fit.OuterIterations,
    };

    private static SelectionFile.SweepPoint SweepPoint(SelectionOutcome o, bool binary) => new()
    {
        C = o.Fit.C,
        AllZero = o.AllZero,
        SelectedAudio = o.AllZero ? 0 : o.SelectedAudio.Length,
        SelectedText = o.AllZero ? 0 : o.SelectedText,
        NonzeroCoefficients = o.Fit.NonZeroCount,
        InnerMacroF1 = o.InnerMacroF1,
        InnerF1Class1 = binary ? o.InnerF1Class1 : null,
        Objective = o.Fit.Objective,
        KktResidual = o.Fit.Kkt,
    };

    private static string[] TokenNames(int[] ids) => ids.Select((_, r) => AudioFeatureLayout.TokenName(r)).ToArray();

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

    /// <summary>Reads <c>inner_train_idx</c>/<c>inner_test_idx</c>; indices must be distinct, within 0..n−1 and cover every row.</summary>
    public static (int[] Train, int[] Test) ReadSplit(string path, int n)
    {
        path = InputPaths.RequireFile(path, "split file");
        JsonElement root;
        try { root = JsonDocument.Parse(File.ReadAllText(path)).RootElement; }
        catch (JsonException e) { throw new SpeechTokException($"{path}:{e.LineNumber + 1}: not valid JSON ({e.Message.ReplaceLineEndings(" ")})", e); }
        int[] Read(string name)
        {
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty(name, out var arr) || arr.ValueKind != JsonValueKind.Array)
                throw new SpeechTokException($"{path}: field '{name}' (an array of train-split row indices) is missing");
            return arr.EnumerateArray().Select((v, i) => v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int x) && x >= 0 && x < n ? x
                : throw new SpeechTokException($"{path}: {name}[{i}] = {v.GetRawText()} is not a row index in 0..{n - 1}")).ToArray();
        }
        var tr = Read("inner_train_idx");
        var te = Read("inner_test_idx");
        var seen = new HashSet<int>();
        foreach (var i in tr.Concat(te)) if (!seen.Add(i)) throw new SpeechTokException($"{path}: row {i} appears twice");
        if (seen.Count < n)
        {
            var left = Enumerable.Range(0, n).Where(i => !seen.Contains(i)).ToList();
            throw new SpeechTokException($"{path}: {left.Count} of the train split's {n} rows are in neither list ({string.Join(", ", left.Take(10))}{(left.Count > 10 ? ", …" : "")}); the split must cover every row");
        }
        return (tr, te);
    }
}
