using System.Text.Json.Nodes;
using SpeechTok.Audio;
using SpeechTok.Codec;
using SpeechTok.Evaluation;
using SpeechTok.IO;
using SpeechTok.Selection;

namespace SpeechTok.Tests.Selection;

public sealed class SelectionRunnerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("selection-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Json(SelectionFile s) => ArtifactJson.ToNode(s).ToJsonString();

    private const int PlantedLayer = 3, PlantedCode = 77; // 1-based RVQ layer 3

    /// <summary>A train split of <paramref name="n"/> samples whose class-1 clips contain code 77 of layer 3 more often.</summary>
    private (string Manifest, Func<ManifestSample, int[][]?> Codes) Data(int n, int seed = 5)
    {
        var rng = new Random(seed);
        var lines = new List<string> { "split,text,audio_path_list,label" };
        for (int i = 0; i < n; i++) lines.Add($"train,word{i % 5} other{i % 3} sample{i % 7},c{i}.wav,{i % 2}");
        lines.Add("test,whatever,t.wav,0");
        var path = Path.Combine(_dir, "m.csv");
        File.WriteAllLines(path, lines);
        var codes = new Dictionary<string, int[][]>();
        for (int i = 0; i < n; i++)
        {
            var c = new int[8][];
            for (int l = 0; l < 8; l++)
            {
                c[l] = new int[60];
                for (int t = 0; t < 60; t++)
                    c[l][t] = l == PlantedLayer - 1 && i % 2 == 1 && rng.NextDouble() < 0.2 ? PlantedCode : rng.Next(1024);
            }
            codes[$"train/{i}"] = c;
        }
        return (path, s => codes.GetValueOrDefault(s.Key));
    }

    [Fact]
    public void SelectsThePlantedTokenAndWritesTheDocumentedFields()
    {
        var (m, codes) = Data(200);
        var doc = SelectionRunner.Run(new SelectOptions { Manifest = Manifest.Load(m), Layout = AudioFeatureLayout.FromLayerNumbers([2, 3, 4, 5, 6, 7, 8]), Bow = true, C = 0.05, SweepC = [0.01, 0.05, 0.2] }, codes);
        var ids = doc.SelectedFeatures;
        int planted = (PlantedLayer - 2) * 1024 + PlantedCode; // layer 3 is the 2nd used layer
        Assert.Contains(planted, ids);
        Assert.Equal(ids.Order(), ids);
        Assert.All(ids, i => Assert.InRange(i, 0, 7 * 1024 - 1)); // text columns dropped
        Assert.Equal(Enumerable.Range(0, ids.Length).Select(r => $"<audio_token_{r}>"), doc.Tokens!);
        Assert.Equal(7 * 1024, doc.Counts!.AudioColumns);
        Assert.True(doc.Solver!.Converged);
        Assert.True(doc.Solver.KktResidual <= 1e-7);
        Assert.Equal(160, doc.Counts.InnerTrain);
        Assert.Equal(3, doc.Sweep!.Count);
        Assert.NotNull(doc.InnerSplit!.F1Class1);
        // The file has the documented field names, the version, and the layout; it loads back to the same record.
        var path = Path.Combine(_dir, "selection.json");
        doc.Save(path);
        var file = JsonNode.Parse(File.ReadAllText(path))!;
        Assert.Equal("speechtok-selection", file["format"]!.GetValue<string>());
        Assert.Equal(1, file["version"]!.GetValue<int>());
        Assert.Equal([2, 3, 4, 5, 6, 7, 8], file["layers"]!.AsArray().Select(v => v!.GetValue<int>()));
        Assert.Equal(1024, file["codebook_size"]!.GetValue<int>());
        Assert.Equal(ids, file["selected_features"]!.AsArray().Select(v => v!.GetValue<int>()));
        Assert.Equal(Json(doc), Json(SelectionFile.Load(path)));
        // Deterministic: the same call gives the same document.
        var again = SelectionRunner.Run(new SelectOptions { Manifest = Manifest.Load(m), Layout = AudioFeatureLayout.FromLayerNumbers([2, 3, 4, 5, 6, 7, 8]), Bow = true, C = 0.05, SweepC = [0.01, 0.05, 0.2] }, codes);
        Assert.Equal(Json(doc), Json(again));
    }

    /// <summary>
    /// select --sweep-c without --c selected at the default C (and could fail there with every coefficient zero). With
    /// ChooseC the sweep chooses C as the experiment runner does, in one fit of the sweep, and the document is the one a
    /// fit at that C with the same sweep gives (the runner used to fit the sweep twice to get it).
    /// </summary>
    [Fact]
    public void A_sweep_chooses_C_within_the_token_range_in_one_fit()
    {
        var (m, codes) = Data(200);
        var o = new SelectOptions { Manifest = Manifest.Load(m), Layout = AudioFeatureLayout.FromLayerNumbers([3]), SweepC = [0.001, 0.01, 0.05, 0.2, 1], ChooseC = new SelectedTokenRange(1, 0.01) };
        var chosen = SelectionRunner.Run(o, codes);
        Assert.Contains(chosen.C!.Value, o.SweepC);
        var (min, max) = o.ChooseC.For(chosen.Counts!.OccurringAudioColumns!.Value);
        Assert.Equal(CChoice.Choose(CChoice.Points(chosen), min, max), chosen.C);
        Assert.InRange(chosen.SelectedFeatures.Length, min, max);
        Assert.Equal("best inner-split F1 among C with 1–10 selected tokens (else the C closest to that range)", chosen.CChoice!.Rule);
        var fixedC = SelectionRunner.Run(o with { ChooseC = null, C = chosen.C.Value }, codes);
        Assert.Null(fixedC.CChoice);
        Assert.Equal(Json(fixedC with { CChoice = chosen.CChoice }), Json(chosen));
        Assert.Equal("choosing C needs a sweep of C values and the L1 model (not the random ablation)",
            Assert.Throws<SpeechTokException>(() => SelectionRunner.Run(o with { SweepC = [] }, codes)).Message);
    }

    [Fact]
    public void Multi_label_selection_fits_one_model_a_label_and_keeps_the_union()
    {
        // 4 labels, each planted as its own layer-3 code; a quarter of the samples have no label.
        var rng = new Random(3);
        var lines = new List<string> { "split,text,audio_path_list,labels" };
        var codes = new Dictionary<string, int[][]>();
        for (int i = 0; i < 240; i++)
        {
            var set = Enumerable.Range(0, 4).Where(c => i % 4 != 0 && rng.NextDouble() < 0.4).ToArray();
            lines.Add($"train,word{i % 5} other{i % 3},c{i}.wav,{string.Join(";", set)}");
            var c = new int[8][];
            for (int l = 0; l < 8; l++)
            {
                c[l] = new int[60];
                for (int t = 0; t < 60; t++)
                    c[l][t] = l == PlantedLayer - 1 && set.Length > 0 && rng.NextDouble() < 0.2 ? PlantedCode + set[rng.Next(set.Length)] : rng.Next(1024);
            }
            codes[$"train/{i}"] = c;
        }
        var path = Path.Combine(_dir, "ml.csv");
        File.WriteAllLines(path, lines);
        File.WriteAllLines(Manifest.LabelNamesPath(path), ["anger", "joy", "fear", "calm"]);
        var doc = SelectionRunner.Run(new SelectOptions { Manifest = Manifest.Load(path), Layout = AudioFeatureLayout.FromLayerNumbers([2, 3]), C = 0.05, SweepC = [0.01, 0.05] }, s => codes.GetValueOrDefault(s.Key));
        Assert.Equal("multilabel", doc.Task);
        Assert.True(doc.OneVsRest);
        Assert.Equal(["anger", "joy", "fear", "calm"], doc.LabelNames);
        var ids = doc.SelectedFeatures;
        var perLabel = doc.PerLabel!;
        Assert.Equal(4, perLabel.Count);
        for (int c = 0; c < 4; c++)
        {
            int planted = 1024 + PlantedCode + c; // layer 3 is the 2nd used layer
            Assert.Contains(planted, ids);
            Assert.Contains(planted, perLabel[c].SelectedAudio);
            Assert.Equal(new[] { "anger", "joy", "fear", "calm" }[c], perLabel[c].Name);
        }
        // The selection is exactly the union of the labels' audio tokens.
        Assert.Equal(perLabel.SelectMany(p => p.SelectedAudio).Distinct().Order(), ids);
        Assert.InRange(doc.InnerSplit!.MacroF1, 0.5, 1);
        Assert.NotNull(doc.InnerSplit.MicroF1);
        Assert.Contains("label combination", doc.InnerSplit.Source);
        // It round-trips through selection.json.
        var file = Path.Combine(_dir, "sel.json");
        doc.Save(file);
        Assert.Equal(ids, SelectionFile.Load(file).PerLabel!.SelectMany(p => p.SelectedAudio).Distinct().Order());
        Assert.Equal(2, doc.Sweep!.Count);
        // Cross-validated (folds stratified by label combination): the same selection, each C also scored over the folds.
        var cv = SelectionRunner.Run(new SelectOptions { Manifest = Manifest.Load(path), Layout = AudioFeatureLayout.FromLayerNumbers([2, 3]), C = 0.05, SweepC = [0.01, 0.05], CvFolds = 3 }, s => codes.GetValueOrDefault(s.Key));
        Assert.Equal(ids, cv.SelectedFeatures);
        Assert.Equal(3, cv.CvFolds);
        Assert.All(cv.Sweep!, p => Assert.InRange(p.CvMacroF1!.Value, 0, 1));
        Assert.All(cv.Sweep!, p => Assert.Null(p.CvF1Class1));
        Assert.InRange(cv.Sweep!.Single(p => p.C == 0.05).CvMacroF1!.Value, 0.5, 1); // the planted codes carry the labels in every fold
    }

    [Fact]
    public void ReadsCodesFromACodeStore()
    {
        var (m, codes) = Data(60);
        var storeDir = Path.Combine(_dir, "codes");
        var manifest = Manifest.Load(m);
        using (var store = SpeechTok.Codec.Store.CodeStore.OpenOrCreate(storeDir, "test-tokenizer", 8, 1024))
            foreach (var s in manifest.Split("train")) store.Append(s.Key, new SpeechTok.Codec.Store.SampleSource(0, 0, SpeechTok.Codec.Store.SampleSource.NamesOf(s.AudioPaths)), codes(s)!);
        using var read = SpeechTok.Codec.Store.CodeStore.Open(storeDir);
        var fromStore = SelectionRunner.Run(new SelectOptions { Manifest = Manifest.Load(m), Layout = AudioFeatureLayout.FromLayerNumbers([1, 2, 3]), C = 0.05 }, s => read.TryGet(s));
        var inMemory = SelectionRunner.Run(new SelectOptions { Manifest = Manifest.Load(m), Layout = AudioFeatureLayout.FromLayerNumbers([1, 2, 3]), C = 0.05 }, codes);
        Assert.Equal(Json(inMemory), Json(fromStore));
    }

    [Fact]
    public void MissingCodesNameTheSample()
    {
        var (m, codes) = Data(40);
        var e = Assert.Throws<SpeechTokException>(() => SelectionRunner.Run(new SelectOptions { Manifest = Manifest.Load(m), Layout = AudioFeatureLayout.FromLayerNumbers([1, 2]) },
            s => s.Key == "train/13" ? null : codes(s)));
        Assert.Contains("train/13", e.Message);
        Assert.Contains("m.csv:15", e.Message);
    }

    [Fact]
    public void AllZeroCoefficientsAreAnErrorSuggestingALargerC()
    {
        var (m, codes) = Data(40);
        var e = Assert.Throws<SpeechTokException>(() => SelectionRunner.Run(new SelectOptions { Manifest = Manifest.Load(m), Layout = AudioFeatureLayout.FromLayerNumbers([1]), C = 1e-9 }, codes));
        Assert.Contains("larger C", e.Message);
    }

    /// <summary>A split file whose index is a string or null failed with JsonElement's InvalidOperationException (TryGetInt32 on
    /// a value that is not a number) instead of naming the entry.</summary>
    [Theory]
    [InlineData("""[0, "3", 1]""", "\"3\"")]
    [InlineData("[0, null, 1]", "null")]
    public void A_split_index_that_is_not_a_number_is_named(string trainIndices, string shown)
    {
        var split = Path.Combine(_dir, "split.json");
        File.WriteAllText(split, $$"""{"inner_train_idx": {{trainIndices}}, "inner_test_idx": [2, 3]}""");
        var e = Assert.Throws<SpeechTokException>(() => SelectionRunner.ReadSplit(split, 4));
        Assert.Equal($"{split}: inner_train_idx[1] = {shown} is not a row index in 0..3", e.Message); // the JSON as written
    }

    [Fact]
    public void BadInputsAreClearErrors()
    {
        Assert.Throws<SpeechTokException>(() => AudioFeatureLayout.ParseLayerNumbers("0-8"));
        Assert.Throws<SpeechTokException>(() => AudioFeatureLayout.ParseLayerNumbers("3-2"));
        Assert.Equal([2, 3, 4, 5, 6, 7, 8], AudioFeatureLayout.ParseLayerNumbers("2-8"));
        Assert.Equal([1, 3, 4, 5], AudioFeatureLayout.ParseLayerNumbers("1,3-5"));
        var (m, codes) = Data(20);
        var split = Path.Combine(_dir, "split.json");
        File.WriteAllText(split, "{\"inner_train_idx\":[0,1,2],\"inner_test_idx\":[3,99]}");
        var e = Assert.Throws<SpeechTokException>(() => SelectionRunner.Run(new SelectOptions { Manifest = Manifest.Load(m), Layout = AudioFeatureLayout.FromLayerNumbers([1]), SplitFile = split }, codes));
        Assert.Contains("inner_test_idx[1]", e.Message);
        File.WriteAllText(split, "{\"inner_train_idx\":[0,1,2],\"inner_test_idx\":[3]}"); // rows 4.. in neither list
        e = Assert.Throws<SpeechTokException>(() => SelectionRunner.Run(new SelectOptions { Manifest = Manifest.Load(m), Layout = AudioFeatureLayout.FromLayerNumbers([1]), SplitFile = split }, codes));
        Assert.Contains("rows are in neither list (4, 5,", e.Message);
        File.WriteAllText(split, "{\n\"inner_train_idx\": [0,\n"); // cut short: one line naming where
        e = Assert.Throws<SpeechTokException>(() => SelectionRunner.Run(new SelectOptions { Manifest = Manifest.Load(m), Layout = AudioFeatureLayout.FromLayerNumbers([1]), SplitFile = split }, codes));
        Assert.StartsWith($"{split}:3: not valid JSON", e.Message);
        Assert.DoesNotContain("\n", e.Message);
        // A class absent from train.
        var p = Path.Combine(_dir, "absent.csv");
        File.WriteAllText(p, "split,text,audio_path_list,label\ntrain,a b,a.wav,0\ntrain,c d,b.wav,0\ntest,e f,c.wav,1\n");
        e = Assert.Throws<SpeechTokException>(() => SelectionRunner.Run(new SelectOptions { Manifest = Manifest.Load(p), Layout = AudioFeatureLayout.FromLayerNumbers([1]) }, codes));
        Assert.Contains("never occur in the train split", e.Message);
        // Labels outside 0..K−1 when K is given.
        e = Assert.Throws<SpeechTokException>(() => SelectionRunner.Run(new SelectOptions { Manifest = Manifest.Load(m, numClasses: 1), Layout = AudioFeatureLayout.FromLayerNumbers([1]) }, codes));
        Assert.Contains("outside 0..0", e.Message);
        // Codes outside the codebook.
        e = Assert.Throws<SpeechTokException>(() => TokenSelection.AudioBagOfTokens([("train/0", [[5, 1024]])], AudioFeatureLayout.Parse("1")));
        Assert.Contains("train/0", e.Message);
    }

    [Fact]
    public void RandomAblationIsSeededAndNeedsNoCodes()
    {
        var (m, _) = Data(10);
        var a = SelectionRunner.Run(new SelectOptions { Manifest = Manifest.Load(m), Layout = AudioFeatureLayout.Parse("1-8"), RandomK = 80, Seed = 42 }, _ => null);
        var b = SelectionRunner.Run(new SelectOptions { Manifest = Manifest.Load(m), Layout = AudioFeatureLayout.Parse("1-8"), RandomK = 80, Seed = 42 }, _ => null);
        var ids = a.SelectedFeatures;
        Assert.Equal(80, ids.Distinct().Count());
        Assert.Equal(ids.Order(), ids);
        Assert.Equal(Json(a), Json(b));
        var c = SelectionRunner.Run(new SelectOptions { Manifest = Manifest.Load(m), Layout = AudioFeatureLayout.Parse("1-8"), RandomK = 80, Seed = 43 }, _ => null);
        Assert.NotEqual(Json(a), Json(c));
        Assert.Equal(8 * 1024, a.Counts!.DrawnFrom);
    }

    [Fact]
    public void RandomAblationWithCodesDrawsOnlyCodesThatOccurInTrain()
    {
        // a tokenizer that uses 10 codes of layer 1 and 6 of layer 2: every draw must be one of those 16 columns
        var (m, _) = Data(10);
        var rng = new Random(3);
        var codes = Enumerable.Range(0, 10).ToDictionary(i => $"train/{i}", _ => new[] { Enumerable.Range(0, 40).Select(_ => rng.Next(10)).ToArray(), Enumerable.Range(0, 40).Select(_ => 500 + rng.Next(6)).ToArray() });
        var occurring = codes.Values.SelectMany(c => c[0].Concat(c[1].Select(x => 1024 + x))).ToHashSet();
        Assert.Equal(16, occurring.Count);
        var doc = SelectionRunner.Run(new SelectOptions { Manifest = Manifest.Load(m), Layout = AudioFeatureLayout.FromLayerNumbers([1, 2]), RandomK = 12, Seed = 42 }, s => codes.GetValueOrDefault(s.Key));
        var ids = doc.SelectedFeatures;
        Assert.Equal(12, ids.Distinct().Count());
        Assert.All(ids, id => Assert.Contains(id, occurring));
        Assert.Equal(16, doc.Counts!.DrawnFrom);
        var e = Assert.Throws<SpeechTokException>(() => SelectionRunner.Run(new SelectOptions { Manifest = Manifest.Load(m), Layout = AudioFeatureLayout.FromLayerNumbers([1, 2]), RandomK = 17, Seed = 42 }, s => codes.GetValueOrDefault(s.Key)));
        Assert.Contains("between 1 and 16", e.Message);
        // some codes but not all: the missing samples are an error, as for the model
        e = Assert.Throws<SpeechTokException>(() => SelectionRunner.Run(new SelectOptions { Manifest = Manifest.Load(m), Layout = AudioFeatureLayout.FromLayerNumbers([1, 2]), RandomK = 5 }, s => s.Key == "train/3" ? null : codes.GetValueOrDefault(s.Key)));
        Assert.Contains("train/3", e.Message);
    }

    [Fact]
    public void StratifiedSplitKeepsClassSharesAndIsSeeded()
    {
        var y = Enumerable.Range(0, 103).Select(i => i % 10 == 0 ? 1 : 0).ToArray();
        var (tr, te) = TokenSelection.StratifiedSplit(y, 2, 0.2, 42);
        Assert.Equal(21, te.Length); // ⌈103·0.2⌉
        Assert.Equal(103, tr.Concat(te).Distinct().Count());
        Assert.Equal(2, te.Count(i => y[i] == 1)); // 11 positives · 21/103 = 2.24
        Assert.Equal(te, TokenSelection.StratifiedSplit(y, 2, 0.2, 42).Test);
        Assert.NotEqual(te, TokenSelection.StratifiedSplit(y, 2, 0.2, 7).Test);
    }

    [Fact]
    public void StratifiedFoldsPartitionTheRowsWithClassSharesAndStartWithTheInnerSplit()
    {
        var y = Enumerable.Range(0, 103).Select(i => i % 10 == 0 ? 1 : i % 3 == 0 ? 2 : 0).ToArray();
        var folds = TokenSelection.StratifiedFolds(y, 3, 5, 42);
        Assert.Equal(5, folds.Length);
        Assert.Equal(Enumerable.Range(0, 103), folds.SelectMany(f => f).Order()); // a partition
        Assert.All(folds, f => Assert.Equal(f.Order(), f));
        Assert.InRange(folds.Max(f => f.Length) - folds.Min(f => f.Length), 0, 1);
        for (int c = 0; c < 3; c++)
        {
            int cls = c, n = y.Count(v => v == cls);
            Assert.All(folds, f => Assert.InRange(f.Count(i => y[i] == cls), n / 5, (n + 4) / 5));
        }
        Assert.Equal(TokenSelection.StratifiedSplit(y, 3, 0.2, 42).Test, folds[0]); // 5 folds: fold 0 is the 80/20 inner split's test side
        Assert.Equal(folds, TokenSelection.StratifiedFolds(y, 3, 5, 42));
        Assert.NotEqual(folds[1], TokenSelection.StratifiedFolds(y, 3, 5, 7)[1]);
        Assert.Contains("need 2..103", Assert.Throws<SpeechTokException>(() => TokenSelection.StratifiedFolds(y, 3, 1, 42)).Message);
    }

    /// <summary>
    /// --cv K scores each C of the sweep by the mean over a stratified k-fold of the train split, each fold fitted from scratch
    /// (TF-IDF and scaler on its own train side), as sklearn's LogisticRegressionCV; the selection stays the inner split's fit.
    /// </summary>
    [Fact]
    public void Cross_validation_scores_the_sweep_by_the_mean_over_folds()
    {
        var (m, codes) = Data(200);
        var manifest = Manifest.Load(m);
        var o = new SelectOptions { Manifest = manifest, Layout = AudioFeatureLayout.FromLayerNumbers([3]), SweepC = [0.01, 0.05, 0.2], ChooseC = new SelectedTokenRange(1, 0.5) };
        var plain = SelectionRunner.Run(o, codes);
        var cv = SelectionRunner.Run(o with { CvFolds = 4 }, codes);
        Assert.Null(plain.CvFolds);
        Assert.All(plain.Sweep!, p => Assert.Null(p.CvMacroF1));
        Assert.Equal(4, cv.CvFolds);
        Assert.StartsWith("best 4-fold CV F1 among C with", cv.CChoice!.Rule);
        // the same inner-split fits: only the cv_* scores (and the choice they make) differ
        Assert.Equal(plain.Sweep!.Select(p => (p.C, p.SelectedAudio, p.InnerMacroF1)), cv.Sweep!.Select(p => (p.C, p.SelectedAudio, p.InnerMacroF1)));
        Assert.Equal(CChoice.Choose(CChoice.Points(cv), 1, 100), cv.C);
        Assert.Equal(cv.Sweep!.First(p => p.C == cv.C).CvF1Class1, CChoice.Points(cv).First(p => p.C == cv.C).Score); // binary: class 1's F1 chooses
        // by hand: the planted bag of tokens, four folds, each fitted on the other three
        var train = manifest.Split("train");
        var labels = train.Select(s => s.Label).ToArray();
        var counts = TokenSelection.AudioBagOfTokens(train.Select(s => (s.Key, codes(s)!)).ToList(), o.Layout);
        var text = CountVectorizer.Fit(train.Select(s => s.Text), "m");
        counts = counts.HStack(text.Transform(train.Select(s => s.Text).ToList()));
        var folds = TokenSelection.StratifiedFolds(labels, 2, 4, o.Seed);
        var expected = new double[3];
        foreach (var test in folds)
        {
            var problem = SelectionProblem.Prepare(counts, 1024, labels, 2, Enumerable.Range(0, 200).Except(test).ToArray(), test);
            var outcomes = TokenSelection.Run(problem, o.SweepC, new LogisticOptions { Tolerance = o.Tolerance });
            for (int j = 0; j < 3; j++) expected[j] += outcomes[j].InnerMacroF1 / 4;
        }
        for (int j = 0; j < 3; j++) Assert.Equal(expected[j], cv.Sweep![j].CvMacroF1!.Value, 12);
        Assert.Equal(Json(cv), Json(SelectionRunner.Run(o with { CvFolds = 4 }, codes))); // deterministic
        Assert.Contains("--split gives one inner split; --cv K draws K folds", Assert.Throws<SpeechTokException>(() => SelectionRunner.Run(o with { CvFolds = 4, SplitFile = m }, codes)).Message);
        Assert.Contains("at least 1", Assert.Throws<SpeechTokException>(() => SelectionRunner.Run(o with { CvFolds = 0 }, codes)).Message);
    }

    [Fact]
    public void MetricsFollowSklearnConventions()
    {
        int[] t = [0, 0, 1, 1, 2, 2], p = [0, 1, 1, 1, 0, 3];
        Assert.Equal(0.5, Metrics.F1(t, p, 0), 12);       // tp 1, fp 1, fn 1
        Assert.Equal(0.8, Metrics.F1(t, p, 1), 12);       // tp 2, fp 1
        Assert.Equal(0, Metrics.F1(t, p, 2));
        Assert.Equal((0.5 + 0.8 + 0) / 3, Metrics.MacroF1Present(t, p), 12);
        Assert.Equal((0.5 + 0.8) / 5, Metrics.MacroF1All(t, p, 5), 12);
        Assert.Equal((0.5 + 0.8) / 4, Metrics.MacroF1Union(t, p), 12);
        var cm = Metrics.ConfusionMatrix(t, p, 4);
        Assert.Equal(2, cm[1, 1]);
        Assert.Equal(1, cm[2, 3]);
    }

    /// <summary>Issue #13: train texts without a single token gave a macro-F1 for an intercept-only model; sklearn raises "empty vocabulary".</summary>
    [Fact]
    public void BowOnTextsWithoutAWordFailsWithEmptyVocabularyNamingTheManifest()
    {
        var lines = new List<string> { "split,text,audio_path_list,label" };
        foreach (var split in new[] { "train", "val", "test" })
            for (int i = 0; i < 6; i++) lines.Add($"{split},\"{i} a 7, x - !\",x.wav,{i % 2}");
        var p = Path.Combine(_dir, "digits.csv");
        File.WriteAllLines(p, lines);
        var m = Manifest.Load(p);
        foreach (var system in new[] { "bow", "bow-mfcc" })
        {
            var e = Assert.Throws<SpeechTokException>(() => Baselines.Run(system, m, Baselines.DefaultGrid, Baselines.MfccFeaturesOf(false)));
            Assert.StartsWith($"{m.Path} (train split): empty vocabulary; perhaps the documents only contain stop words", e.Message);
        }
    }

    [Fact]
    public void BaselineNeedsNonEmptySplitsAndWritesTheCommonSchema()
    {
        var p = Path.Combine(_dir, "noval.csv");
        File.WriteAllText(p, "split,text,audio_path_list,label\ntrain,a b,a.wav,0\ntrain,c d,b.wav,1\ntest,e f,c.wav,1\n");
        var e = Assert.Throws<SpeechTokException>(() => Baselines.Run("bow", Manifest.Load(p), Baselines.DefaultGrid));
        Assert.Contains("'val' is empty", e.Message);

        var lines = new List<string> { "split,text,audio_path_list,label" };
        foreach (var split in new[] { "train", "val", "test" })
            for (int i = 0; i < 30; i++) lines.Add($"{split},{(i % 3 == 0 ? "good great" : "bad awful")} w{i},x.wav,{(i % 3 == 0 ? 1 : 0)}");
        var ok = Path.Combine(_dir, "ok.csv");
        File.WriteAllLines(ok, lines);
        var manifest = Manifest.Load(ok);
        var sys = Baselines.Run("bow", manifest, Baselines.DefaultGrid);
        Assert.Equal(1.0, sys.MacroF1);
        Assert.Equal(1.0, sys.F1Class1);
        var path = Baselines.WriteResults(Path.Combine(_dir, "out"), manifest, sys);
        Baselines.WriteResults(Path.Combine(_dir, "out"), manifest, sys); // replaces, not duplicates
        var doc = JsonNode.Parse(File.ReadAllText(path))!;
        Assert.Equal("binary", doc["task"]!.GetValue<string>());
        Assert.Single(doc["systems"]!.AsArray());
        Assert.Equal("test", doc["systems"]![0]!["split"]!.GetValue<string>());
        Assert.Throws<SpeechTokException>(() => Baselines.Run("mfcc", manifest, Baselines.DefaultGrid, _ => new float[44])); // clips absent
    }
}
