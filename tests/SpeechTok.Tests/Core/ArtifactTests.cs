using SpeechTok.Evaluation;
using SpeechTok.Experiments.Runner;
using SpeechTok.IO;
using SpeechTok.Selection;
using SpeechTok.Training;

namespace SpeechTok.Tests.Core;

/// <summary>Every artifact record saves and loads back to the same record, and a file of another version says which version it is.</summary>
public sealed class ArtifactTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("artifacts-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Json<T>(T record) => ArtifactJson.ToNode(record).ToJsonString();

    private static SelectedAudioTokens Tokens => new() { Path = "/x/selection.json", Features = [1, 3, 9], Layers = [2, 3], CodebookSize = 8 };

    private static VocabularyExtension Vocabulary => new()
    {
        BaseVocabSize = 100, PadId = 100, BosId = 98, NewRowCount = 8, TrainableStart = 101, TrainableCount = 7,
        AddedTokens = [new("[PAD]", 100, true), new("<audio_token_0>", 101, false)],
    };

    private static IReadOnlyList<TrainLossPoint> TrainCurve => [new(1, 0.5, 2.25, 1e-3), new(2, 1.0, 1.75, 5e-4)];

    private static FinetuneHyperparameters Hyper => FinetuneHyperparameters.From(new FinetuneOptions { Seeds = [7, 8] }, TaskKind.Binary);

    private string RoundTrip<T>(T record, Action<T, string> save, Func<string, T> load, string file)
    {
        var path = Path.Combine(_dir, file);
        save(record, path);
        Assert.Equal(Json(record), Json(load(path)));
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp")); // written atomically, no temp file left
        return File.ReadAllText(path);
    }

    /// <summary>Rerun identities are lists of JSON names: one misspelt compared null with null, silently leaving the identity.</summary>
    [Fact]
    public void An_identity_field_the_record_does_not_have_is_a_programming_error()
    {
        var a = Hyper;
        var b = a with { Lr = a.Lr * 2 };
        Assert.Equal(("lr", a.Lr.ToString(System.Globalization.CultureInfo.InvariantCulture), b.Lr.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ArtifactJson.FirstDifference(a, b, ["lr"]));
        Assert.Null(ArtifactJson.FirstDifference(a, b, ["batch_size"]));
        Assert.Equal("FinetuneHyperparameters has no JSON field 'learning_rate' (Parameter 'fields')",
            Assert.Throws<ArgumentException>(() => ArtifactJson.FirstDifference(a, b, ["batch_size", "learning_rate"])).Message);
    }

    [Fact]
    public void SelectionRoundTripsWithItsLayout()
    {
        var s = new SelectionFile
        {
            Manifest = "/m.csv", Task = "binary", NumClasses = 2, Layers = [2, 3], CodebookSize = 8, Mode = SelectionFile.ModelMode, UseBow = true, C = 0.03,
            SelectedFeatures = [1, 3, 9], Tokens = ["<audio_token_0>", "<audio_token_1>", "<audio_token_2>"],
            Counts = new SelectionFile.SelectionCounts { AudioColumns = 16, SelectedAudio = 3, TrainSamples = 40 },
            Solver = new SelectionFile.SolverReport { Method = "m", Objective = 1.5, KktResidual = 1e-8, Converged = true },
            InnerSplit = new SelectionFile.InnerSplitScore { Source = "stratified", MacroF1 = 0.75, F1Class1 = 0.5 },
            Sweep = [new SelectionFile.SweepPoint { C = 0.03, SelectedAudio = 3, InnerMacroF1 = 0.75 }],
        };
        var text = RoundTrip(s, (r, p) => r.Save(p), SelectionFile.Load, SelectionFile.FileName);
        Assert.Contains("\"format\": \"speechtok-selection\"", text);
        Assert.Contains("\"version\": 1", text);
        var tokens = SelectionFile.LoadTokens(Path.Combine(_dir, SelectionFile.FileName));
        Assert.Equal(AudioFeatureLayoutOf(2, 3), tokens.Layout);
        Assert.Equal([1, 3, 9], tokens.Features);
    }

    private static SpeechTok.Codec.AudioFeatureLayout AudioFeatureLayoutOf(params int[] layerNumbers) => SpeechTok.Codec.AudioFeatureLayout.FromLayerNumbers(layerNumbers, 8);

    [Fact]
    public void SelectionFromBeforeCodebookSizeWasRecordedUsesTheDefaultStride()
    {
        var path = Path.Combine(_dir, "old.json");
        File.WriteAllText(path, """{"format":"speechtok-selection","version":1,"layers":[2,3,4,5,6,7,8],"mode":"model","selected_features":[5,1500],"counts":{"audio_columns":7168,"selected_audio":2}}""");
        var s = SelectionFile.Load(path);
        Assert.Equal(SpeechTok.Codec.AudioFeatureLayout.DefaultCodebookSize, s.Layout.CodebookSize);
        Assert.Equal((2, 476), s.Layout.Decode(1500));
        File.WriteAllText(path, """{"format":"speechtok-selection","version":1,"layers":[1],"codebook_size":4,"selected_features":[]}""");
        Assert.Contains("empty", Assert.Throws<SpeechTokException>(() => SelectionFile.LoadTokens(path)).Message);
        File.WriteAllText(path, """{"format":"speechtok-selection","version":1,"layers":[1],"codebook_size":4,"selected_features":[4]}""");
        Assert.Contains("outside 0..3", Assert.Throws<SpeechTokException>(() => SelectionFile.Load(path)).Message);
    }

    [Fact]
    public void PretrainRunAndStateRoundTrip()
    {
        var pre = new PretrainFile
        {
            Model = "/model", Selection = Tokens, Tokenizer = Vocabulary, Hyperparameters = new PretrainOptions { Lr = 3e-3 }, BestEvalLoss = 1.25, BestStep = 4,
            RowsFile = Pretrainer.RowsFile, Curves = new PretrainCurves { TrainLoss = TrainCurve, EvalLoss = [new(2, 1.0, 1.5)], EvalSamples = 4, TrainSamples = 36, Truncated = 1 },
            Manifest = "/m.csv", Codes = "/codes", CodesTokenizer = "builtin:abc", Serialization = "compact", MaxLength = 256, Truncated = 1,
        };
        var text = RoundTrip(pre, (r, p) => r.Save(p), PretrainFile.Load, PretrainFile.FileName);
        Assert.Contains("\"gradient_accumulation_steps\": 4", text);
        Assert.DoesNotContain("\"gradient_accumulation\"", text);
        Assert.Contains("\"weight_decay\": 0", text);

        var run = new RunFile
        {
            System = "audio-lasso", Manifest = "/m.csv", Task = "binary", NumLabels = 2, Model = "/model", Codes = "/codes", CodesTokenizer = "builtin:abc",
            Selection = Tokens, Pretrained = "/pre", Serialization = "compact", MaxLength = 256, Tokenizer = Vocabulary, Hyperparameters = Hyper,
            Truncated = new Dictionary<string, int> { ["train"] = 1, ["val"] = 0 },
        };
        text = RoundTrip(run, (r, p) => r.Save(p), RunFile.Load, RunFile.FileName);
        Assert.Contains("\"lora_r\": 64", text);
        Assert.Contains("\"epochs\": 5", text); // resolved for the binary task
        run.RequireSameRunAs(RunFile.Load(Path.Combine(_dir, RunFile.FileName)), "run.json");
        var e = Assert.Throws<SpeechTokException>(() => (run with { Hyperparameters = Hyper with { Lr = 0.5 } }).RequireSameRunAs(run, "run.json"));
        Assert.Contains("'hyperparameters.lr' differs", e.Message);

        var ps = new PretrainState { EpochsDone = 2, BestEvalLoss = 1.5, BestStep = 2, EvalsWithoutImprovement = 1, TrainLoss = TrainCurve, EvalLoss = [new(2, 1.0, 1.5)] };
        RoundTrip(ps, (r, p) => ArtifactJson.Save(p, r, Checkpoint.StateKind), p => ArtifactJson.Load<PretrainState>(p, Checkpoint.StateKind), "pretrain-state.json");
        var fs = new FinetuneState { EpochsDone = 1, BestMetric = 0.5, BestEpoch = 1, DropoutStep = 12, Stopped = true, TrainLoss = TrainCurve, Val = [new(1, 2, 0.7, 0.5, 0.4)] };
        RoundTrip(fs, (r, p) => ArtifactJson.Save(p, r, Checkpoint.StateKind), p => ArtifactJson.Load<FinetuneState>(p, Checkpoint.StateKind), "finetune-state.json");
    }

    /// <summary>pretrain.json named HF's gradient_accumulation_steps "gradient_accumulation"; files written then still load and resume.</summary>
    [Fact]
    public void A_pretrain_file_with_the_old_gradient_accumulation_key_is_read_and_matches_a_rerun()
    {
        var pre = new PretrainFile
        {
            Model = "/model", Selection = Tokens, Tokenizer = Vocabulary, Hyperparameters = new PretrainOptions { Accumulation = 3 }, RowsFile = Pretrainer.RowsFile,
            Curves = new PretrainCurves { TrainLoss = TrainCurve, EvalLoss = [] }, Manifest = "/m.csv", Codes = "/codes", Serialization = "compact", MaxLength = 256,
        };
        string path = Path.Combine(_dir, PretrainFile.FileName);
        pre.Save(path);
        string text = File.ReadAllText(path);
        File.WriteAllText(path, text.Replace("\"gradient_accumulation_steps\": 3", "\"gradient_accumulation\": 3"));
        Assert.NotEqual(text, File.ReadAllText(path));
        var old = PretrainFile.Load(path);
        Assert.Equal(3, old.Hyperparameters.Accumulation);
        pre.RequireSameRunAs(old, path); // the same command: resumed
        var e = Assert.Throws<SpeechTokException>(() => (pre with { Hyperparameters = new PretrainOptions { Accumulation = 4 } }).RequireSameRunAs(old, path));
        Assert.Contains("'hyperparameters.gradient_accumulation_steps' differs from this command's (3 vs 4)", e.Message);
    }

    [Fact]
    public void SeedFilesRoundTripAndTheirUnversionedFormsStillLoad()
    {
        var curves = new SeedCurves { Seed = 7, BestEpoch = 1, BestValMetric = 0.5, Metric = "f1_class_1", TrainLoss = TrainCurve, Val = [new(1, 2, 0.7, 0.5, 0.4)] };
        RoundTrip(curves, (r, p) => r.Save(p), SeedCurves.Load, SeedCurves.FileName);
        var preds = new PredictionsFile { Split = "test", Keys = ["test/0", "test/1"], Labels = [[0], [1]], Probabilities = [[0.75f, 0.25f], [0.1f, 0.9f]], Predictions = [0, 1] };
        RoundTrip(preds, (r, p) => r.Save(p), PredictionsFile.Load, PredictionsFile.FileName("test"));
        // A predictions file written before the version field: read as version 1.
        var old = Path.Combine(_dir, "old-predictions.json");
        File.WriteAllText(old, """{"split":"val","keys":["val/0"],"labels":[[1]],"probabilities":[[0.2,0.8]],"predictions":[1]}""");
        Assert.Equal(0.8f, PredictionsFile.Load(old).Probabilities[0][1]);
        File.WriteAllText(old, """{"split":"val","keys":["val/0","val/1"],"labels":[[1]],"probabilities":[[0.2,0.8]],"predictions":[1]}""");
        Assert.Contains("differ in length", Assert.Throws<SpeechTokException>(() => PredictionsFile.Load(old)).Message);
    }

    [Fact]
    public void ResultsAndExperimentSettingsRoundTrip()
    {
        var results = new ExperimentResults
        {
            Manifest = "/m.csv", Task = "multiclass", ClassNames = ["a", "b", "c"],
            Systems = [SystemResult.FromSeeds("bow", [new SeedScore { Seed = 0, MacroF1 = 0.5 }]) with { ConfusionMatrix = [[1, 0, 0], [0, 1, 0], [0, 0, 1]] }],
        };
        RoundTrip(results, (r, p) => r.Save(p), ExperimentResults.Load, ExperimentResults.FileName);
        var settings = new ExperimentSettings { Manifest = "/m.csv", Model = "builtin", Tokenizer = "builtin", Preset = ExperimentPreset.Quick.Describe().ToDictionary(), BuiltinLmSha256 = BuiltinLm.ModelSha256 };
        settings.SaveOrRequireSame(_dir);
        settings.SaveOrRequireSame(_dir);
        var e = Assert.Throws<SpeechTokException>(() => (settings with { Model = "/other" }).SaveOrRequireSame(_dir));
        Assert.Contains("'model' was \"builtin\"", e.Message);
        // a folder recorded with --audio-root naming the manifest's folder (with a trailing slash) before roots were
        // normalised: the same command, or no --audio-root, resumes it
        string other = Path.Combine(_dir, "older");
        Directory.CreateDirectory(other);
        (settings with { AudioRoot = "/" }).SaveOrRequireSame(other); // written as older versions did
        (settings with { AudioRoot = ExperimentSettings.AudioRootOf("/", "/m.csv") }).SaveOrRequireSame(other);
        Assert.Null(ExperimentSettings.AudioRootOf("/", "/m.csv"));
        Assert.Equal("/data", ExperimentSettings.AudioRootOf("/data/", "/m.csv"));
    }

    /// <summary>--out DIR/ made the staging folder DIR/.new inside the target and failed at the rename; a symlinked DIR
    /// was replaced by a real folder, leaving the folder it named empty.</summary>
    [Fact]
    public void ReplaceFolder_takes_a_trailing_separator_and_refuses_a_symlink()
    {
        string dir = Path.Combine(_dir, "fit");
        AtomicFolder.Replace(dir + "/", d => File.WriteAllText(Path.Combine(d, "a.txt"), "1"));
        AtomicFolder.Replace(dir + "/", d => File.WriteAllText(Path.Combine(d, "b.txt"), "2"));
        Assert.Equal(["b.txt"], Directory.GetFileSystemEntries(dir).Select(Path.GetFileName));
        Assert.False(Directory.Exists(dir + ".new") || Directory.Exists(dir + ".old"));
        string link = Path.Combine(_dir, "link");
        Directory.CreateSymbolicLink(link, dir);
        Assert.StartsWith($"{link} is a symlink", Assert.Throws<SpeechTokException>(() => AtomicFolder.Replace(link, _ => { })).Message);
        Assert.True(new DirectoryInfo(link).LinkTarget != null);
    }

    /// <summary>After a crash between the two renames (DIR.old complete, DIR.new stale, no DIR), the resumed run reads DIR.old
    /// and its next save replaces it; the folder ends complete and alone.</summary>
    [Fact]
    public void ReplaceFolder_after_a_crash_between_its_renames_ends_with_the_new_folder()
    {
        string dir = Path.Combine(_dir, "ckpt");
        Directory.CreateDirectory(dir + ".old");
        File.WriteAllText(Path.Combine(dir + ".old", "step.txt"), "4");
        Directory.CreateDirectory(dir + ".new");
        File.WriteAllText(Path.Combine(dir + ".new", "step.txt"), "8 (half written)");
        Assert.Equal(dir + ".old", AtomicFolder.Complete(dir));
        AtomicFolder.Replace(dir, d => File.WriteAllText(Path.Combine(d, "step.txt"), "12"));
        Assert.Equal(dir, AtomicFolder.Complete(dir));
        Assert.Equal("12", File.ReadAllText(Path.Combine(dir, "step.txt")));
        Assert.False(Directory.Exists(dir + ".new") || Directory.Exists(dir + ".old"));
    }

    /// <summary>
    /// A kill at any point of <see cref="AtomicFolder.Replace"/>'s steps, inside a delete too (which leaves a partial folder),
    /// leaves <see cref="AtomicFolder.Complete"/> a complete folder to resume from, from every state a kill can leave.
    /// The earlier order (delete DIR.old, then move DIR.new into place, with no DIR) fails this check.
    /// </summary>
    [Fact]
    public void ReplaceFolder_leaves_a_complete_folder_whenever_it_is_killed()
    {
        foreach (bool dirExists in new[] { true, false })
            foreach (bool oldExists in new[] { true, false })
                Assert.True(SurvivesEveryKill(AtomicFolder.Plan(dirExists, oldExists), dirExists, oldExists), $"plan for DIR {dirExists}, DIR.old {oldExists}");
        Assert.False(SurvivesEveryKill([AtomicFolder.Step.DeleteOld, AtomicFolder.Step.MoveNewToDir], dirExists: false, oldExists: true));
    }

    /// <summary>Runs <paramref name="plan"/> on a model of the three folders (complete or partial), killed after each step and
    /// inside each delete; true when Complete's choice is complete every time (or absent, when there was no folder before). DIR.new is complete (fill has run); a DIR.old
    /// beside DIR may be partial (a kill in an earlier final delete); without DIR, DIR.old is complete (a kill between the renames).</summary>
    private static bool SurvivesEveryKill(IReadOnlyList<AtomicFolder.Step> plan, bool dirExists, bool oldExists)
    {
        for (int kill = 0; kill <= plan.Count; kill++)
            foreach (bool insideDelete in new[] { false, true })
            {
                var folders = new Dictionary<string, bool> { ["new"] = true }; // name → complete
                if (dirExists) folders["dir"] = true;
                if (oldExists) folders["old"] = !dirExists ? true : false;
                for (int k = 0; k < Math.Min(kill + 1, plan.Count); k++)
                {
                    bool killedHere = k == kill;
                    switch (plan[k])
                    {
                        case AtomicFolder.Step.DeleteOld when killedHere && insideDelete: folders["old"] = false; break; // partly deleted
                        case AtomicFolder.Step.DeleteOld when !killedHere: folders.Remove("old"); break;
                        case AtomicFolder.Step.MoveDirToOld when !killedHere: folders["old"] = folders["dir"]; folders.Remove("dir"); break;
                        case AtomicFolder.Step.MoveNewToDir when !killedHere: folders["dir"] = folders["new"]; folders.Remove("new"); break;
                    }
                }
                // Complete: DIR when it exists, else DIR.old
                bool? chosen = folders.TryGetValue("dir", out bool d) ? d : folders.TryGetValue("old", out bool o) ? o : null;
                if (chosen == false || (chosen == null && (dirExists || oldExists))) return false; // none: only before the first save
            }
        return true;
    }

    [Fact]
    public void AFileOfAnotherVersionOrKindSaysWhichItIs()
    {
        var path = Path.Combine(_dir, RunFile.FileName);
        File.WriteAllText(path, """{"format":"speechtok-run","format_version":2,"system":"x"}""");
        var e = Assert.Throws<SpeechTokException>(() => RunFile.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("format_version 2 is not supported", e.Message);
        Assert.Contains("reads run files of format_version 1", e.Message);
        Assert.Contains("newer", e.Message);

        File.WriteAllText(path, """{"format":"speechtok-pretrain","format_version":1}""");
        Assert.Contains("'format' is 'speechtok-pretrain', expected 'speechtok-run'", Assert.Throws<SpeechTokException>(() => RunFile.Load(path)).Message);
        File.WriteAllText(path, """{"system":"x"}""");
        Assert.Contains("no 'format' field", Assert.Throws<SpeechTokException>(() => RunFile.Load(path)).Message);
        File.WriteAllText(path, """{"format":"speechtok-selection","version":0,"layers":[1],"selected_features":[0]}""");
        Assert.Contains("version 0 is not supported", Assert.Throws<SpeechTokException>(() => SelectionFile.Load(path)).Message);
        var predictions = Path.Combine(_dir, "p.json");
        File.WriteAllText(predictions, """{"format":"speechtok-predictions","format_version":3,"split":"val"}""");
        Assert.Contains("format_version 3", Assert.Throws<SpeechTokException>(() => PredictionsFile.Load(predictions)).Message);
        // A missing required field names the field.
        File.WriteAllText(path, """{"format":"speechtok-run","format_version":1,"system":"x","manifest":"m","task":"binary","model":"m","serialization":"compact"}""");
        Assert.Contains("hyperparameters", Assert.Throws<SpeechTokException>(() => RunFile.Load(path)).Message);
    }

    [Fact]
    public void ARunJsonAsVersionOneWroteItStillLoads()
    {
        // run.json of a text-only run as the hand-built writer of format_version 1 wrote it (nulls included).
        var path = Path.Combine(_dir, RunFile.FileName);
        File.WriteAllText(path, """
            {"format":"speechtok-run","format_version":1,"system":"text-only-llm","manifest":"/m.csv","task":"binary","num_labels":2,
             "model":"/model","codes":null,"codes_tokenizer":null,"selection":null,"pretrained":null,"text_only":true,"serialization":"textonly",
             "max_length":256,"tokenizer":{"base_vocab_size":300,"pad_id":300,"bos_id":298,"new_row_count":1,"trainable_start":300,"trainable_count":0,
             "added_tokens":[{"content":"[PAD]","id":300,"special":true}]},
             "hyperparameters":{"lr":0.001,"epochs":5,"batch_size":32,"warmup_ratio":0.05,"patience":3,"lora_r":64,"lora_alpha":16,"lora_dropout":0.1,
             "max_grad_norm":1,"weight_decay":0,"seeds":[42,100,6,10,420]},"truncated":{"train":0,"val":0,"test":0}}
            """);
        var run = RunFile.Load(path);
        Assert.True(run.TextOnly);
        Assert.Null(run.Selection);
        Assert.Equal(0.1f, run.Hyperparameters.LoraDropout);
        Assert.Equal([42, 100, 6, 10, 420], run.Hyperparameters.Seeds);
        // A rerun with the same options is the same run.
        var same = run with { Hyperparameters = FinetuneHyperparameters.From(new FinetuneOptions(), TaskKind.Binary) };
        same.RequireSameRunAs(run, path);
    }
}
