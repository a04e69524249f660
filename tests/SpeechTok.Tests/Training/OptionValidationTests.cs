using System.Text.RegularExpressions;
using SpeechTok.Codec.Store;
using SpeechTok.Lm.Serialization;
using SpeechTok.Selection;
using SpeechTok.Training;

namespace SpeechTok.Tests.Training;

/// <summary>Out-of-range options are refused before anything is written, naming the option, so the corrected command can run in the same folder.</summary>
public sealed class OptionValidationTests
{
    [Fact]
    public void Finetune_options_out_of_range_are_refused_before_the_run_folder_exists()
    {
        using var d = new ToyData();
        string model = d.Model(), run = Path.Combine(d.Dir, "run");
        FinetuneSpec Spec(FinetuneOptions o) => new() { Manifest = d.Parsed(), Model = model, Out = run, TextOnly = true, Options = o };
        var ok = TrainingTests.Small(1) with { Epochs = 1 };
        foreach (var (bad, option) in new (FinetuneOptions, string)[]
        {
            (ok with { BatchSize = 0 }, "--batch-size 0"), (ok with { Epochs = 0 }, "--epochs 0"), (ok with { Lr = -1 }, "--lr -1"),
            (ok with { Lr = double.NaN }, "--lr NaN"), (ok with { WarmupRatio = 5 }, "--warmup-ratio 5"), (ok with { Patience = -1 }, "--patience -1"),
            (ok with { Patience = 0 }, "--patience 0: must be at least 1, the evaluations in a row without improvement that stop training"),
            (ok with { LoraRank = 0 }, "--lora-r 0"), (ok with { LoraAlpha = -1 }, "--lora-alpha -1"), (ok with { LoraDropout = 1.5f }, "--lora-dropout 1.5"),
            (ok with { Seeds = [] }, "--seeds"), (ok with { Seeds = [1, 1] }, "--seeds"), (ok with { FinetuningType = "qlora" }, "--finetuning-type 'qlora'"),
        })
        {
            Assert.StartsWith(option, Assert.Throws<SpeechTokException>(() => FinetuneRun.Run(Spec(bad))).Message);
            Assert.False(Directory.Exists(run));
        }
        FinetuneRun.Run(Spec(ok));
        Assert.True(File.Exists(Path.Combine(FinetuneRun.SeedDir(run, 1), SeedDone.FileName)));
    }

    [Fact]
    public void Pretrain_options_out_of_range_are_refused_before_the_folder_exists()
    {
        using var d = new ToyData();
        string model = d.Model(), outDir = Path.Combine(d.Dir, "pre");
        var ok = new PretrainOptions { Epochs = 1, BatchSize = 4, Accumulation = 1 };
        foreach (var (bad, option) in new (PretrainOptions, string)[]
        {
            (ok with { Lr = 0 }, "--lr 0"), (ok with { Epochs = 0 }, "--epochs 0"), (ok with { BatchSize = 0 }, "--batch-size 0"),
            (ok with { WarmupRatio = -1 }, "--warmup-ratio -1"), (ok with { EvalFraction = 0 }, "--eval-fraction 0"), (ok with { EvalFraction = 1 }, "--eval-fraction 1"),
            (ok with { EvalsPerEpoch = 0 }, "--evals-per-epoch 0"), (ok with { Patience = -1 }, "--patience -1"),
            (ok with { Patience = 0 }, "--patience 0: must be at least 1, the evaluations in a row without improvement that stop training"),
        })
        {
            var spec = new PretrainSpec { Manifest = d.Parsed(), Codes = d.Codes, Selection = d.Selection, Model = model, Out = outDir, Options = bad };
            Assert.StartsWith(option, Assert.Throws<SpeechTokException>(() => spec.Run()).Message);
            Assert.False(Directory.Exists(outDir));
        }
        // A finished run is not rerun with other settings (it used to exit 0 and rewrite pretrain.json's record).
        var good = new PretrainSpec { Manifest = d.Parsed(), Codes = d.Codes, Selection = d.Selection, Model = model, Out = outDir, Options = ok };
        good.Run();
        string record = File.ReadAllText(Path.Combine(outDir, PretrainFile.FileName));
        good.Run(); // the same command: nothing to do
        var e = Assert.Throws<SpeechTokException>(() => (good with { Options = ok with { Lr = 1e-2 } }).Run());
        Assert.Contains("'hyperparameters.lr' differs from this command's (", e.Message);
        Assert.EndsWith("vs 0.01); use another --out to start a new run", e.Message);
        Assert.Equal(record, File.ReadAllText(Path.Combine(outDir, PretrainFile.FileName)));
    }

    /// <summary>The corpus and model guards of <see cref="Pretrainer.Run"/> ran after the run folder was created, leaving it empty.</summary>
    [Fact]
    public void A_corpus_too_small_to_pretrain_is_refused_before_the_folder_exists()
    {
        using var d = new ToyData();
        string one = Path.Combine(d.Dir, "one.csv"), outDir = Path.Combine(d.Dir, "pre");
        File.WriteAllText(one, "split,text,audio_path_list\ntrain,the cat sat alpha,x0.wav\n"); // one sample: no train/eval split
        var spec = new PretrainSpec { Manifest = SpeechTok.Audio.Manifest.LoadClips(one, null), Codes = d.Codes, Selection = d.Selection, Model = d.Model(), Out = outDir,
            Options = new PretrainOptions { Epochs = 1, BatchSize = 4, Accumulation = 1 } };
        Assert.Equal("pre-training corpus has 1 sample(s); at least 2 are needed for a train/eval split", Assert.Throws<SpeechTokException>(() => spec.Run()).Message);
        Assert.False(Directory.Exists(outDir));
    }

    /// <summary>A killed pre-training (checkpoint, no pretrain.json) rerun with other settings continued its rows under them.</summary>
    [Fact]
    public void An_interrupted_pretraining_is_not_resumed_with_other_settings()
    {
        using var d = new ToyData();
        string outDir = Path.Combine(d.Dir, "pre");
        var spec = new PretrainSpec { Manifest = d.Parsed(), Codes = d.Codes, Selection = d.Selection, Model = d.Model(), Out = outDir,
            Options = new PretrainOptions { Epochs = 3, BatchSize = 4, Accumulation = 1 } };
        string checkpoint = Path.Combine(outDir, Checkpoint.Folder);
        Assert.Throws<OperationCanceledException>(() => spec.Run(afterStep: _ => { if (Directory.Exists(checkpoint)) throw new OperationCanceledException(); }));
        Assert.False(File.Exists(Path.Combine(outDir, PretrainFile.FileName)));

        var e = Assert.Throws<SpeechTokException>(() => (spec with { Options = spec.Options with { Lr = 1e-2 } }).Run());
        Assert.StartsWith($"{Path.Combine(checkpoint, Checkpoint.StateFile)}: 'hyperparameters.lr' differs from this command's", e.Message);
        Assert.Contains("'max_length' differs", Assert.Throws<SpeechTokException>(() => (spec with { MaxLength = 64 }).Run()).Message);
        // Fewer selected tokens: the settings check ran after the rows were copied, which crashed ("Destination is too short").
        string fewer = Path.Combine(d.Dir, "fewer.json");
        var selection = SelectionFile.Load(d.Selection);
        (selection with { SelectedFeatures = selection.SelectedFeatures[..3] }).Save(fewer);
        Assert.StartsWith(Path.Combine(checkpoint, Checkpoint.StateFile), Assert.Throws<SpeechTokException>(() => (spec with { Selection = fewer }).Run()).Message);
        var logs = new List<string>();
        spec.Run(logs.Add);
        Assert.Contains(logs, l => l.StartsWith("resuming pre-training after epoch 1"));
        // Rerun once finished: it said "resuming pre-training after epoch 3".
        logs.Clear();
        spec.Run(logs.Add);
        Assert.Single(logs, l => Regex.IsMatch(l, @"^pre-training already finished \(every epoch done: epoch 3, step \d+\): nothing left to train; its best rows are saved again$"));
        Assert.DoesNotContain(logs, l => l.StartsWith("resuming", StringComparison.Ordinal));
    }

    /// <summary>A seed whose last checkpoint was written but not its done.json (a crash between the two) said "resuming after epoch N".</summary>
    [Fact]
    public void A_finished_seed_without_done_json_says_it_is_finished_not_resuming()
    {
        using var d = new ToyData(perSplit: 8);
        var spec = new FinetuneSpec { Manifest = d.Parsed(), Model = d.Model(), Out = Path.Combine(d.Dir, "run"), TextOnly = true, Options = TrainingTests.Small(1) with { Epochs = 2 } };
        FinetuneRun.Run(spec);
        string seedDir = FinetuneRun.SeedDir(spec.Out, 1);
        Assert.True(Directory.Exists(Path.Combine(seedDir, Checkpoint.Folder)), "the seed keeps its checkpoint");
        File.Delete(Path.Combine(seedDir, SeedDone.FileName));
        var logs = new List<string>();
        FinetuneRun.Run(spec, logs.Add);
        Assert.Contains(logs, l => Regex.IsMatch(l, @"^seed 1: training already finished \((every epoch done|stopped early): epoch \d+, step \d+\): nothing left to train"));
        Assert.DoesNotContain(logs, l => l.Contains("resuming", StringComparison.Ordinal));
        Assert.True(File.Exists(Path.Combine(seedDir, SeedDone.FileName)));
    }

    /// <summary>pretrain --max-length 5 cut every sample's audio tokens, so only the markers were trained; the log gave the truncation count only.</summary>
    [Fact]
    public void Pretrain_refuses_a_max_length_that_cuts_every_audio_token_and_warns_when_it_cuts_some()
    {
        using var d = new ToyData(perSplit: 8);
        File.WriteAllText(d.Manifest, File.ReadAllText(d.Manifest).Replace("the cat sat", "the cat sat and then the dog sat")); // texts of two lengths
        var spec = new PretrainSpec { Manifest = d.Parsed(), Codes = d.Codes, Selection = d.Selection, Model = d.Model(), Out = Path.Combine(d.Dir, "pre"),
            MaxLength = 5, Options = new PretrainOptions { Epochs = 1, BatchSize = 4, Accumulation = 1 } };
        var e = Assert.Throws<SpeechTokException>(() => spec.Run());
        var m = Regex.Match(e.Message, @"^--max-length 5 cuts every audio token of the pre-training samples: all 24 samples with audio tokens lose them; " +
            @"--max-length (\d+) keeps at least one in every sample, (\d+) keeps them all$");
        Assert.True(m.Success, e.Message);
        Assert.False(Directory.Exists(spec.Out));
        Assert.StartsWith("--max-length 5 cuts every audio token of the pre-training samples: all 24 ",
            Assert.Throws<SpeechTokException>(() => (spec with { Serialization = SerializationMode.Reference }).Run()).Message);
        int one = int.Parse(m.Groups[1].Value), all = int.Parse(m.Groups[2].Value);
        // One token short of keeping one in every sample: the longer texts lose all of theirs; stopped at the first step.
        var logs = new List<string>();
        Assert.Throws<OperationCanceledException>(() => (spec with { MaxLength = one - 1 }).Run(logs.Add, _ => throw new OperationCanceledException()));
        Assert.Single(logs, l => Regex.IsMatch(l, $@"^warning: --max-length {one - 1} cuts audio tokens of (2[0-4]|1\d|[1-9]) of the 24 pre-training samples with audio tokens " +
            $@"\(none left in [1-9]\d* of them, e\.g\. \w+/\d+\); --max-length {all} keeps them all$"));
        logs.Clear();
        (spec with { MaxLength = all, Out = Path.Combine(d.Dir, "pre-kept") }).Run(logs.Add);
        Assert.DoesNotContain(logs, l => l.StartsWith("warning: --max-length", StringComparison.Ordinal));
    }

    /// <summary>finetune --max-length that cut every audio token trained an audio system on text alone, silently.</summary>
    [Fact]
    public void Finetune_refuses_a_max_length_that_cuts_every_audio_token_of_the_train_samples_before_the_run_folder_exists()
    {
        using var d = new ToyData(perSplit: 8);
        var spec = new FinetuneSpec { Manifest = d.Parsed(), Codes = d.Codes, Selection = d.Selection, Model = d.Model(), Out = Path.Combine(d.Dir, "run"),
            MaxLength = 4, MaxLengthOption = "preset 'quick' max length", Options = TrainingTests.Small(1) with { Epochs = 1 } };
        var e = Assert.Throws<SpeechTokException>(() => FinetuneRun.Run(spec));
        Assert.Matches(@"^preset 'quick' max length 4 cuts every audio token of the train samples: all 8 samples with audio tokens lose them; " +
            @"preset 'quick' max length \d+ keeps at least one in every sample, \d+ keeps them all$", e.Message);
        Assert.False(Directory.Exists(spec.Out));
    }

    /// <summary>pretrain/finetune --max-length past the model's max_position_embeddings trained positions it never learned, silently.</summary>
    [Fact]
    public void A_max_length_past_the_models_context_is_refused_naming_the_option_before_anything_is_written()
    {
        using var d = new ToyData(perSplit: 8);
        string config = Path.Combine(d.Model(), "config.json");
        string Message(string option, int length) =>
            $"{config}: sequences of up to {length} tokens exceed the model's max_position_embeddings {TinyLm.Context} (positions it was never trained on); use a {option} of at most {TinyLm.Context}";
        var pre = new PretrainSpec { Manifest = d.Parsed(), Codes = d.Codes, Selection = d.Selection, Model = d.Model(), Out = Path.Combine(d.Dir, "pre"),
            MaxLength = TinyLm.Context + 1, Options = new PretrainOptions { Epochs = 1, BatchSize = 4, Accumulation = 1 } };
        Assert.Equal(Message("--max-length", TinyLm.Context + 1), Assert.Throws<SpeechTokException>(() => pre.Run()).Message);
        var ft = new FinetuneSpec { Manifest = d.Parsed(), Model = d.Model(), Out = Path.Combine(d.Dir, "run"), TextOnly = true, MaxLength = 1000,
            MaxLengthOption = "preset 'quick' max length", Options = TrainingTests.Small(1) with { Epochs = 1 } };
        Assert.Equal(Message("preset 'quick' max length", 1000), Assert.Throws<SpeechTokException>(() => FinetuneRun.Run(ft)).Message);
        Assert.False(Directory.Exists(pre.Out) || Directory.Exists(ft.Out));
        // The CLI, on the built-in LM (context 256); its context itself is accepted.
        string out1 = Path.Combine(d.Dir, "cli");
        var (code, stdout, err) = CliRunner.Run("finetune", "--manifest", d.Manifest, "--text-only", "--out", out1, "--max-length", "1000");
        Assert.Equal((2, ""), (code, stdout));
        Assert.EndsWith("config.json: sequences of up to 1000 tokens exceed the model's max_position_embeddings 256 (positions it was never trained on); use a --max-length of at most 256", err.Trim());
        Assert.False(Directory.Exists(out1));
        FinetuneRun.Run(ft with { MaxLength = TinyLm.Context });
    }

    /// <summary>finetune --pretrained EMPTYDIR was refused, but after it had made an empty --out folder.</summary>
    [Fact]
    public void Finetune_refused_for_its_pretrained_rows_leaves_no_run_folder()
    {
        using var d = new ToyData(perSplit: 8);
        string empty = Directory.CreateDirectory(Path.Combine(d.Dir, "empty")).FullName, run = Path.Combine(d.Dir, "run");
        var (code, stdout, err) = CliRunner.Run("finetune", "--manifest", d.Manifest, "--codes", d.Codes, "--selection", d.Selection, "--pretrained", empty,
            "--model", d.Model(), "--out", run);
        Assert.Equal((2, ""), (code, stdout));
        Assert.EndsWith($"\nerror: pre-trained rows '{Path.Combine(empty, Pretrainer.RowsFile)}' not found (run `speechtok pretrain --out {empty}` first, or pass --no-pretrain)", err.Trim()); // after the store's warning that the clips are absent
        Assert.False(Directory.Exists(run));
    }

    /// <summary>--pretrained at an interrupted pre-training or at a fine-tuning run said "run `speechtok pretrain --out DIR` first".</summary>
    [Fact]
    public void Pretrained_at_an_unfinished_pretraining_or_a_finetune_run_says_what_the_folder_is()
    {
        using var d = new ToyData(perSplit: 8);
        string model = d.Model(), pre = Path.Combine(d.Dir, "pre"), run = Path.Combine(d.Dir, "run"), checkpoint = Path.Combine(pre, Checkpoint.Folder);
        var pt = new PretrainSpec { Manifest = d.Parsed(), Codes = d.Codes, Selection = d.Selection, Model = model, Out = pre,
            Options = new PretrainOptions { Epochs = 3, BatchSize = 4, Accumulation = 1 } };
        Assert.Throws<OperationCanceledException>(() => pt.Run(afterStep: _ => { if (Directory.Exists(checkpoint)) throw new OperationCanceledException(); }));
        FinetuneRun.Run(new FinetuneSpec { Manifest = d.Parsed(), Model = model, Out = run, TextOnly = true, Options = TrainingTests.Small(1) with { Epochs = 1 } });
        var ft = new FinetuneSpec { Manifest = d.Parsed(), Codes = d.Codes, Selection = d.Selection, Model = model, Out = Path.Combine(d.Dir, "audio"),
            Options = TrainingTests.Small(1) with { Epochs = 1 } };
        Assert.Equal($"--pretrained '{pre}' is an unfinished pre-training (a checkpoint, no {Pretrainer.RowsFile} yet): rerun the same `speechtok pretrain` command to finish it",
            Assert.Throws<SpeechTokException>(() => FinetuneRun.Run(ft with { Pretrained = pre })).Message);
        Assert.Equal($"--pretrained '{run}' is a fine-tuning run folder (run.json), not a pre-training folder: give the --out folder of `speechtok pretrain`",
            Assert.Throws<SpeechTokException>(() => FinetuneRun.Run(ft with { Pretrained = run })).Message);
        Assert.False(Directory.Exists(ft.Out));
    }

    /// <summary>Run folders recorded the manifest's path only: an edited manifest was resumed with its new rows.</summary>
    [Fact]
    public void An_edited_manifest_is_not_resumed_or_predicted_as_the_one_trained_on()
    {
        using var d = new ToyData();
        string model = d.Model(), run = Path.Combine(d.Dir, "run"), pre = Path.Combine(d.Dir, "pre");
        var ft = new FinetuneSpec { Manifest = d.Parsed(), Model = model, Out = run, TextOnly = true, Options = TrainingTests.Small(1) with { Epochs = 1 } };
        var pt = new PretrainSpec { Manifest = d.Parsed(), Codes = d.Codes, Selection = d.Selection, Model = model, Out = pre,
            Options = new PretrainOptions { Epochs = 1, BatchSize = 4, Accumulation = 1 } };
        FinetuneRun.Run(ft);
        pt.Run();
        Assert.Equal(d.Parsed().Sha256, RunFile.Load(Path.Combine(run, RunFile.FileName)).ManifestSha256);

        File.WriteAllText(d.Manifest, File.ReadAllText(d.Manifest).Replace("the cat sat alpha", "the cat sat down alpha"));
        var e = Assert.Throws<SpeechTokException>(() => FinetuneRun.Run(ft with { Manifest = d.Parsed() }));
        Assert.Contains("'manifest_sha256' differs", e.Message);
        Assert.Contains("'manifest_sha256' differs", Assert.Throws<SpeechTokException>(() => (pt with { Manifest = d.Parsed() }).Run()).Message);
        using var rm = RunModel.Load(run);
        Assert.StartsWith($"{d.Manifest}: the manifest changed since the run {run} was fine-tuned on it", Assert.Throws<SpeechTokException>(() => rm.Encode("test")).Message);
    }

    /// <summary>A run recorded with another BOS than the model's tokenizer now gives (a build that follows add_bos_token: false
    /// reading an older build's run) was predicted, resumed and pre-trained on with inputs it was never trained on.</summary>
    [Fact]
    public void A_run_recorded_with_another_bos_is_refused_where_it_is_read()
    {
        using var d = new ToyData(perSplit: 8);
        string model = d.Model(), run = Path.Combine(d.Dir, "run"), pre = Path.Combine(d.Dir, "pre");
        var ft = new FinetuneSpec { Manifest = d.Parsed(), Model = model, Out = run, TextOnly = true, Options = TrainingTests.Small(1) with { Epochs = 1 } };
        FinetuneRun.Run(ft);
        new PretrainSpec { Manifest = d.Parsed(), Codes = d.Codes, Selection = d.Selection, Model = model, Out = pre,
            Options = new PretrainOptions { Epochs = 1, BatchSize = 4, Accumulation = 1 } }.Run();
        foreach (var json in new[] { Path.Combine(run, RunFile.FileName), Path.Combine(pre, PretrainFile.FileName) })
        {
            var node = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(json))!;
            Assert.NotNull(node["tokenizer"]!["bos_id"]);
            node["tokenizer"]!.AsObject().Remove("bos_id"); // recorded: no BOS
            File.WriteAllText(json, node.ToJsonString());
        }
        const string what = "'tokenizer.bos_id' is none, but the model's tokenizer now starts a text with";
        Assert.Contains(what, Assert.Throws<SpeechTokException>(() => RunModel.Load(run)).Message);
        Assert.Contains(what, Assert.Throws<SpeechTokException>(() => FinetuneRun.Run(ft)).Message);
        Assert.Contains(what, Assert.Throws<SpeechTokException>(() => FinetuneRun.Run(new FinetuneSpec
        {
            Manifest = d.Parsed(), Codes = d.Codes, Selection = d.Selection, Pretrained = pre, Model = model, Out = Path.Combine(d.Dir, "run2"), Options = TrainingTests.Small(1) with { Epochs = 1 },
        })).Message);
    }

    /// <summary>predict ignored --audio and --tokenizer on a text-only run, and batch options on one sample.</summary>
    [Fact]
    public void Predict_refuses_options_the_run_does_not_use()
    {
        using var d = new ToyData(perSplit: 8);
        string run = Path.Combine(d.Dir, "run");
        FinetuneRun.Run(new FinetuneSpec { Manifest = d.Parsed(), Model = d.Model(), Out = run, TextOnly = true, Options = TrainingTests.Small(1) with { Epochs = 1 } });
        string runJson = Path.Combine(run, RunFile.FileName);
        foreach (var (args, message) in new (string[], string)[]
        {
            (["--text", "a beta", "--audio", "x.wav"], $"{runJson}: the run is text-only, so --audio is not used; drop it"),
            (["--text", "a beta", "--tokenizer", d.Dir], $"{runJson}: the run is text-only, so --tokenizer is not used; drop it"),
            (["--manifest", d.Manifest, "--out", "p.jsonl", "--codes", d.Codes], $"{runJson}: the run is text-only, so --codes is not used; drop it"),
            (["--text", "a beta", "--out", "p.jsonl"], "--out is for batch prediction (--manifest); one sample (--text) does not use it"),
            (["--text", "a beta", "--split", "val"], "--split is for batch prediction (--manifest); one sample (--text) does not use it"),
        })
        {
            var (code, stdout, err) = CliRunner.Run(["predict", "--run", run, .. args]);
            Assert.Equal(2, code);
            Assert.Equal("", stdout);
            Assert.Equal($"error: {message}", err.Trim());
        }
        var (ok, json, _) = CliRunner.Run("predict", "--run", run, "--text", "a beta");
        Assert.Equal(0, ok);
        Assert.Contains("\"probabilities\"", json);
    }

    /// <summary>
    /// An --out of the wrong kind failed with the file system's words, after the work for select and predict
    /// ("The file '…/afile' already exists.", "cannot write '/d': Is a directory : '/d'").
    /// </summary>
    [Fact]
    public void An_out_path_of_the_wrong_kind_is_refused_naming_the_option_before_any_work()
    {
        using var d = new ToyData(perSplit: 8);
        string run = Path.Combine(d.Dir, "run");
        FinetuneRun.Run(new FinetuneSpec { Manifest = d.Parsed(), Model = d.Model(), Out = run, TextOnly = true, Options = TrainingTests.Small(1) with { Epochs = 1 } });
        string file = Path.Combine(d.Dir, "afile"), folder = Directory.CreateDirectory(Path.Combine(d.Dir, "afolder")).FullName;
        File.WriteAllText(file, "kept");
        string common = $"--out {file} is a file, not a folder: ";
        foreach (var (args, message) in new (string[], string)[]
        {
            (["finetune", "--manifest", d.Manifest, "--text-only", "--model", d.Model(), "--out", file], common + "finetune writes a run folder (run.json, seed-S/)"),
            (["finetune", "--manifest", d.Manifest, "--text-only", "--model", d.Model(), "--out", Path.Combine(file, "run")],
                $"--out {Path.Combine(file, "run")} is inside {file}, a file, not a folder: finetune writes a run folder (run.json, seed-S/)"),
            (["pretrain", "--manifest", d.Manifest, "--codes", d.Codes, "--selection", d.Selection, "--model", d.Model(), "--out", file],
                common + "pretrain writes a folder (rows.safetensors, pretrain.json, checkpoint/)"),
            (["experiment", "--manifest", d.Manifest, "--out", file], common + "experiment writes a folder (results.json, report.md, runs/, …)"),
            (["baseline", "bow", "--manifest", d.Manifest, "--out", file], common + "baseline writes results.json into a folder"),
            (["tokenize", "--manifest", d.Manifest, "--tokenizer", "builtin", "--out", file], common + "tokenize writes a code store folder"),
            (["tokenizer", "fit", "--manifest", d.Manifest, "--out", file], common + "tokenizer fit writes the tokenizer into a new folder"),
            (["select", "--manifest", d.Manifest, "--codes", d.Codes, "--out", folder], $"--out {folder} is a folder, not a file: give a file path, e.g. {Path.Combine(folder, "selection.json")}"),
            (["predict", "--run", run, "--manifest", d.Manifest, "--out", folder + "/"], $"--out {folder} is a folder, not a file: give a file path, e.g. {Path.Combine(folder, "predictions.jsonl")}"),
        })
        {
            var (code, stdout, err) = CliRunner.Run(args);
            Assert.Equal((2, ""), (code, stdout));
            Assert.Equal($"error: {message}", err.Trim());
        }
        Assert.Equal("kept", File.ReadAllText(file));
        Assert.Empty(Directory.GetFileSystemEntries(folder));
    }

    /// <summary>
    /// An --out folder that cannot be made: lm train printed its tokenizer's progress, then "Could not find file '/proc/lm'";
    /// every command now says so first, in one line naming the option.
    /// </summary>
    [Fact]
    public void An_out_folder_that_cannot_be_made_is_refused_naming_the_option_before_any_work()
    {
        using var d = new ToyData(perSplit: 8);
        const string none = "/proc/speechtok-no-such-folder";
        string text = Directory.CreateDirectory(Path.Combine(d.Dir, "text")).FullName;
        File.WriteAllText(Path.Combine(text, "1999.txt"), "the cat sat on the mat");
        File.WriteAllText(Path.Combine(text, "2020.txt"), "a dog ran in the park");
        foreach (var args in new[]
        {
            new[] { "lm", "train", "--train", text, "--valid-from-year", "2017", "--threads", "1", "--out", $"{none}/lm" },
            ["finetune", "--manifest", d.Manifest, "--text-only", "--model", "builtin", "--threads", "1", "--out", $"{none}/run"],
            ["pretrain", "--manifest", d.Manifest, "--codes", d.Codes, "--selection", d.Selection, "--model", "builtin", "--threads", "1", "--out", $"{none}/pre"],
            ["baseline", "bow", "--manifest", d.Manifest, "--out", $"{none}/bow"],
            ["tokenize", "--manifest", d.Manifest, "--tokenizer", "builtin", "--threads", "1", "--out", $"{none}/codes"],
        })
        {
            var (code, stdout, err) = CliRunner.Run(args);
            Assert.Equal((2, ""), (code, stdout));
            Assert.StartsWith($"error: --out {args[^1]}: cannot create the folder (", err);
            Assert.Single(err.Trim().Split('\n')); // nothing before it: no tokenizer learned, no model loaded
        }
    }

    /// <summary>Options the chosen system does not use were accepted and ignored (run.json then recorded something else).</summary>
    [Fact]
    public void Finetune_and_select_refuse_options_that_contradict_or_go_unused()
    {
        using var d = new ToyData(perSplit: 8);
        string[] common = ["--manifest", d.Manifest, "--model", "unused", "--out", Path.Combine(d.Dir, "r")];
        string clipless = Directory.CreateDirectory(Path.Combine(d.Dir, "clipless")).FullName;
        foreach (var (args, message) in new (string[], string)[]
        {
            (["finetune", .. common, "--text-only", "--serialization", "reference"], "--serialization is for runs with audio tokens; --text-only does not use it"),
            (["finetune", .. common, "--text-only", "--codes", d.Codes], "--codes is for runs with audio tokens; --text-only does not use it"),
            (["finetune", .. common, "--text-only", "--selection", d.Selection], "--selection is for runs with audio tokens; --text-only does not use it"),
            (["finetune", .. common, "--audio-vector", "builtin", "--serialization", "compact"], "--serialization is for runs with audio tokens; --audio-vector does not use it"),
            (["finetune", .. common, "--text-only", "--mixdown"], "--mixdown is for --audio-vector, which reads the clips; --text-only reads none"),
            (["select", "--manifest", d.Manifest, "--codes", d.Codes, "--bow", "--no-bow", "--out", Path.Combine(d.Dir, "s.json")], "--bow and --no-bow contradict each other; pass one"),
            (["select", "--manifest", d.Manifest, "--random", "5", "--c", "0.1", "--out", Path.Combine(d.Dir, "s.json")], "--c shapes the L1 model's selection; --random K draws without it: drop --c"),
            (["tokenize", "--manifest", d.Manifest, "--tokenizer", "builtin", "--out", Path.Combine(d.Dir, "r"), "--threads", "abc"], "--threads: 'abc' is not an integer. (see `speechtok tokenize --help`)"),
            (["finetune", .. common, "--text-only", "--seeds", " "], "--seeds is empty; give comma-separated integers, e.g. 42,100"),
            (["codes", "--tokenizer", d.Manifest, d.Manifest], $"--tokenizer '{d.Manifest}' is a file; give the folder holding config.json and the checkpoint"),
            (["pretrain", "--manifest", d.Manifest, "--codes", d.Codes, "--selection", d.Selection, "--out", Path.Combine(d.Dir, "r"), "--threads", "-3"], "--threads -3: must be at least 1 (see `speechtok pretrain --help`)"),
            (["finetune", .. common, "--text-only", "--audio-root", d.Dir], "--audio-root is for runs with audio tokens; --text-only does not use it"),
            (["lm", "train", "--train", Path.Combine(SpeechTok.Tests.Conformance.FixtureRoot.RepoRoot, "tests", "data", "sotu-sample"), "--valid-from-year", "2030", "--out", Path.Combine(d.Dir, "r")],
                "--valid-from-year 2030: no --train file is from 2030 or later (the latest is 1932)"),
            (["finetune", .. common, "--text-only", "--no-pretrain"], "--no-pretrain is for runs with audio tokens; --text-only does not use it"),
            (["finetune", .. common, "--text-only", "--finetuning-type", "full", "--lora-r", "8"], "--lora-r is for --finetuning-type lora; full fine-tuning trains every weight and has no adapters"),
            (["finetune", .. common, "--text-only", "--system", ""], "--system is empty; give the name results.json lists the run under"),
            (["finetune", .. common, "--text-only", "--max-grad-norm", "-1"], "--max-grad-norm -1: must be a finite number ≥ 0 (0: no clipping)"), // the option reaches FinetuneOptions
            (["finetune", .. common, "--text-only", "--num-train-epochs", "0"], "--epochs 0: must be at least 1"), // HF's names reach the options too
            (["pretrain", "--manifest", d.Manifest, "--codes", d.Codes, "--selection", d.Selection, "--out", Path.Combine(d.Dir, "r"), "--early-stopping-patience", "0"],
                "--patience 0: must be at least 1, the evaluations in a row without improvement that stop training (HF's 0 would stop at the first evaluation)"),
            (["finetune", .. common, "--text-only", "--lora-target-modules", "v_proj,q_proj,v_proj"], "--lora-target-modules: v_proj is listed twice"),
            (["finetune", .. common, "--text-only", "--lora-target-modules", "all-linear,q_proj"], "--lora-target-modules: all-linear already names every projection; give it alone"),
            (["select", "--manifest", d.Manifest, "--codes", d.Codes, "--split", d.Manifest, "--seed", "5", "--out", Path.Combine(d.Dir, "s.json")], "--seed draws the inner split; --split gives it: drop --seed"),
            (["select", "--manifest", d.Manifest, "--codes", d.Codes, "--cv", "3", "--out", Path.Combine(d.Dir, "s.json")], "--cv scores the C values of --sweep-c; without a sweep there is nothing to score: drop --cv or add --sweep-c"),
            (["select", "--manifest", d.Manifest, "--random", "5", "--cv", "3", "--out", Path.Combine(d.Dir, "s.json")], "--cv shapes the L1 model's selection; --random K draws without it: drop --cv"),
            (["select", "--manifest", d.Manifest, "--codes", d.Codes, "--sweep-c", "0.1,1", "--cv", "5", "--out", Path.Combine(d.Dir, "s.json")],
                $"{d.Manifest}: class 0 has 4 train sample(s), fewer than the 5 cross-validation folds; use at most 4 folds"),
            (["select", "--manifest", d.Manifest, "--codes", d.Codes, "--sweep-c", "0.1,1", "--cv", "0", "--out", Path.Combine(d.Dir, "s.json")],
                "--cv 0: the number of cross-validation folds must be at least 1 (1: the inner split alone scores the sweep)"),
            (["select", "--manifest", d.Manifest, "--codes", d.Codes, "--audio-root", clipless, "--out", Path.Combine(d.Dir, "r", "s.json")],
                $"--audio-root '{clipless}': none of the 24 clip(s) of {d.Manifest} is there (e.g. {Path.Combine(clipless, "x0.wav")} is missing); give the folder its audio_path_list paths are relative to"), // only warned, then matched codes by file name
            (["select", "--manifest", d.Manifest, "--codes", d.Codes, "--layers", "2,1", "--out", Path.Combine(d.Dir, "r", "s.json")], "--layers '2,1': layers must be ascending (feature ids follow the layer order); write '1,2'"), // was sorted silently
            (["select", "--manifest", d.Manifest, "--codes", d.Codes, "--layers", "1-2,2", "--out", Path.Combine(d.Dir, "r", "s.json")], "--layers '1-2,2': layer 2 is listed twice; write '1,2'"),
            // the store has 2 RVQ layers: --layers 1-8 failed inside the selection, naming a sample and not the option
            (["select", "--manifest", d.Manifest, "--codes", d.Codes, "--layers", "1-8", "--out", Path.Combine(d.Dir, "r", "s.json")], $"--layers '1-8': code store {d.Codes} has 2 RVQ layers (give --layers 1,2)"),
            (["select", "--manifest", d.Manifest, "--codes", d.Codes, "--layers", "2-8", "--out", Path.Combine(d.Dir, "r", "s.json")], $"--layers '2-8': code store {d.Codes} has 2 RVQ layers (give --layers 2)"),
            (["tokenizer", "fit", "--manifest", d.Manifest, "--out", Path.Combine(d.Dir, "r"), "--num-quantizers", "12"], "--num-quantizers 12: must be in 1..8"), // before any clip is read (these are missing)
            (["baseline", "bow", "--manifest", d.Manifest, "--audio-root", d.Dir, "--out", Path.Combine(d.Dir, "r")], "--audio-root is for the systems that read clips (mfcc, bow-mfcc); bow reads only the text"),
            (["bench", "tokenizer", "--tokenizer", Path.Combine(SpeechTok.Tests.Conformance.FixtureRoot.RepoRoot, "models", "builtin-lm"), "--lines", "0"], "--lines 0: must be at least 1"),
            (["tokenize", "--manifest", d.Manifest, "--tokenizer", "builtin", "--out", Path.Combine(d.Dir, "r"), "--threads", "0"], "--threads 0: must be at least 1 (see `speechtok tokenize --help`)"),
        })
        {
            var (code, _, err) = CliRunner.Run(args);
            Assert.Equal(2, code);
            Assert.Equal($"error: {message}", err.Trim());
        }
        Assert.False(Directory.Exists(Path.Combine(d.Dir, "r")));
    }

    /// <summary>
    /// Option values refused with a message that named no option ("C must be a positive number ≤ 1e12, got 0", "max length must be
    /// at least 1"), a .NET type ("expected type 'SpeechTok.Experiments.Demo.DemoLabeling'"), or only after output began (demo
    /// --count); now one error line naming the option as given (an alias too), before anything is printed or written.
    /// </summary>
    [Fact]
    public void Option_values_are_refused_naming_the_option_as_given()
    {
        using var d = new ToyData(perSplit: 8);
        string r = Path.Combine(d.Dir, "r"), sel = Path.Combine(r, "s.json");
        string sotu = Path.Combine(SpeechTok.Tests.Conformance.FixtureRoot.RepoRoot, "tests", "data", "sotu-sample");
        string[] select = ["select", "--manifest", d.Manifest, "--codes", d.Codes, "--out", sel];
        foreach (var (args, message) in new (string[], string)[]
        {
            ([.. select, "--c", "0"], "--c 0: must be a positive number ≤ 1e12 (see `speechtok select --help`)"),
            ([.. select, "--sweep-c", "0.1,abc"], "--sweep-c '0.1,abc': 'abc' is not a positive number ≤ 1e12"),
            (["baseline", "bow", "--manifest", d.Manifest, "--grid", "0,1", "--out", r], "--grid '0,1': '0' is not a positive number ≤ 1e12"),
            (["pretrain", "--manifest", d.Manifest, "--codes", d.Codes, "--selection", d.Selection, "--max-length", "0", "--out", r], "--max-length 0: must be at least 1"),
            (["lm", "eval", "--text", sotu, "--seq-len", "1"], "--seq-len 1: must be at least 2 (see `speechtok lm eval --help`)"),
            (["lm", "eval", "--text", sotu, "--batch-size", "0"], "--batch-size 0: must be at least 1 (see `speechtok lm eval --help`)"),
            (["finetune", "--manifest", d.Manifest, "--text-only", "--num-labels", "1", "--out", r], $"{d.Manifest}:3: label 1 is outside 0..0 (--num-labels 1)"),
            ([.. select, "--num-classes", "1"], $"{d.Manifest}:3: label 1 is outside 0..0 (--num-classes 1)"),
            ([.. select, "--num-labels", "0"], "--num-labels 0: must be at least 1"),
            (["demo", "--count", "23", "--out", r], "--count 23: must be a multiple of 4 and at least 24 (every text is spoken once calm and once excited)"),
            // the experiment's options, checked before the dataset is built (they failed after minutes of espeak-ng)
            (["demo", "--count", "24", "--max-length", "1", "--out", r], "--max-length 1: must be at least 2 (BOS and one token)"),
            (["demo", "--count", "24", "--metric-for-best-model", "f1_class_1", "--out", r], "--metric-for-best-model f1_class_1 needs a binary task; this one is multiclass (use macro_f1)"),
            (["predict", "--run", r, "--manifest", d.Manifest, "--split", "bogus", "--out", sel], "--split 'bogus': expected train, val or test (see `speechtok predict --help`)"),
            (["evaluate", "--run", r, "--split", "dev"], "--split 'dev': expected train, val or test (see `speechtok evaluate --help`)"),
            (["evaluate", "--run", r, "--threads", "0"], "--threads 0: must be at least 1 (see `speechtok evaluate --help`)"), // evaluate had no --threads
            (["pretrain", "--manifest", d.Manifest, "--codes", d.Codes, "--selection", d.Selection, "--serialization", "text", "--out", r],
                "--serialization 'text': expected compact or reference (see `speechtok pretrain --help`)"),
            (["demo", "--labeling", "foo", "--out", r], "--labeling 'foo': expected Quadrants, Incongruent or MultiLabel (see `speechtok demo --help`)"),
            (["demo", "--labeling", "1", "--out", r], "--labeling '1': expected Quadrants, Incongruent or MultiLabel (see `speechtok demo --help`)"), // .NET took the enum's number
            (["mosei", "--task", "Foo", "--table", "t.csv", "--audio-dir", r, "--out", r], "--task 'Foo': expected Sent or Emo (see `speechtok mosei --help`)"),
            (["foo"], "'foo' is not a speechtok command (expected mosei, codes, tokenizer, tokenize, select, baseline, pretrain, finetune, evaluate, predict, experiment, demo, lm, bench) (see `speechtok --help`)"),
            ([], "speechtok needs a command (expected mosei, codes, tokenizer, tokenize, select, baseline, pretrain, finetune, evaluate, predict, experiment, demo, lm, bench) (see `speechtok --help`)"),
            (["lm", "bogus"], "'bogus' is not a speechtok lm command (expected train, generate, eval) (see `speechtok lm --help`)"),
        })
        {
            var (code, stdout, err) = CliRunner.Run(args);
            Assert.Equal(2, code);
            Assert.Equal("", stdout);
            Assert.Equal($"error: {message}", err.Trim());
        }
        Assert.False(Directory.Exists(r));
        // the enum names in any case, as before
        var (ok, _, mosei) = CliRunner.Run("mosei", "--task", "emo", "--table", Path.Combine(d.Dir, "none.csv"), "--audio-dir", d.Dir, "--out", r);
        Assert.Equal(2, ok);
        Assert.DoesNotContain("--task", mosei);
    }

    /// <summary>
    /// Accepted silently: --seeds=-5 made a folder "seed--5", "1,,2" was read as 1,2 (and --layers "1,,2" as 1,2), --grid ""
    /// fitted the default grid, lm train --seed -5 became 2^64 − 5.
    /// </summary>
    [Fact]
    public void Empty_list_items_and_negative_seeds_are_refused()
    {
        using var d = new ToyData(perSplit: 8);
        string r = Path.Combine(d.Dir, "r");
        string[] finetune = ["finetune", "--manifest", d.Manifest, "--text-only", "--epochs", "1", "--out", r];
        foreach (var (args, message) in new (string[], string)[]
        {
            ([.. finetune, "--seeds=-5"], "--seeds: seed -5 is negative; seeds are non-negative integers"),
            ([.. finetune, "--seeds", "1,,2"], "--seeds '1,,2': item 2 is empty; give comma-separated integers, e.g. 42,100"),
            ([.. finetune, "--seeds", "1,2,"], "--seeds '1,2,': item 3 is empty; give comma-separated integers, e.g. 42,100"),
            ([.. finetune, "--seeds", "1,x"], "--seeds '1,x': 'x' is not an integer"),
            ([.. finetune, "--seeds", "1,3000000000"], $"--seeds '1,3000000000': 3000000000 is out of range; seeds are integers from 0 to {int.MaxValue}"), // said "is not an integer"
            (["experiment", "--manifest", d.Manifest, "--out", r, "--seeds=3,-2"], "--seeds: seed -2 is negative; seeds are non-negative integers"),
            (["experiment", "--manifest", d.Manifest, "--out", r, "--systems", "bow,foo"],
                $"--systems: unknown system 'foo' (expected {string.Join(", ", SpeechTok.Experiments.Runner.ExperimentRunner.Systems)})"),
            (["experiment", "--manifest", d.Manifest, "--out", r, "--systems", "bow,,mfcc"],
                $"--systems 'bow,,mfcc': item 2 is empty; give some of {string.Join(", ", SpeechTok.Experiments.Runner.ExperimentRunner.Systems)}"),
            (["baseline", "bow", "--manifest", d.Manifest, "--grid", "", "--out", r], "--grid is empty; give comma-separated C values, e.g. 0.01,0.03,0.1"),
            (["select", "--manifest", d.Manifest, "--codes", d.Codes, "--layers", "1,,2", "--out", Path.Combine(r, "s.json")],
                "--layers '1,,2': item 2 is empty; give layers such as 2-8, 1-8 or 1,3,5-8"),
            (["select", "--manifest", d.Manifest, "--codes", d.Codes, "--seed", "-1", "--out", Path.Combine(r, "s.json")], "--seed: '-1' is not a non-negative integer. (see `speechtok select --help`)"),
            ([.. finetune, "--lora-target-modules", "q_proj,,v_proj"], "--lora-target-modules 'q_proj,,v_proj': item 2 is empty; give projection names or all-linear"),
            (["lm", "train", "--train", d.Manifest, "--out", r, "--seed", "-5"], "--seed -5: must be at least 0 (see `speechtok lm train --help`)"),
            (["demo", "--seed", "-3", "--out", r], "--seed -3: must be at least 0 (see `speechtok demo --help`)"),
            (["tokenize", "--manifest", d.Manifest, "--tokenizer", "builtin", "--seed", "-3", "--out", r], "--seed -3: must be at least 0 (see `speechtok tokenize --help`)"),
            (["tokenizer", "fit", "--manifest", d.Manifest, "--seed", "-3", "--out", r], "--seed -3: must be at least 0 (see `speechtok tokenizer fit --help`)"),
        })
        {
            var (code, stdout, err) = CliRunner.Run(args);
            Assert.Equal(2, code);
            Assert.Equal("", stdout);
            Assert.Equal($"error: {message}", err.Trim());
        }
        Assert.False(Directory.Exists(r));
        Assert.Equal("--seeds: seed -1 is negative; seeds are non-negative integers",
            Assert.Throws<SpeechTokException>(() => FinetuneRun.Run(new FinetuneSpec { Manifest = d.Parsed(), Model = "unused", Out = r, TextOnly = true, Options = new FinetuneOptions { Seeds = [1, -1] } })).Message);
    }

    /// <summary>finetune --no-pretrain named its system audio-lasso-no-pretrain, the experiment and README audio-lasso-nopt.</summary>
    [Fact]
    public void A_no_pretrain_run_is_named_as_the_experiment_names_that_system()
    {
        using var d = new ToyData(perSplit: 8);
        string run = Path.Combine(d.Dir, "run");
        FinetuneRun.Run(new FinetuneSpec { Manifest = d.Parsed(), Codes = d.Codes, Selection = d.Selection, Model = d.Model(), Out = run, Options = TrainingTests.Small(1) with { Epochs = 1 } });
        string system = RunFile.Load(Path.Combine(run, RunFile.FileName)).System;
        Assert.Equal("audio-lasso-nopt", system);
        Assert.Contains(system, SpeechTok.Experiments.Runner.ExperimentRunner.Systems);

        // A folder made under the old default name resumes with the same command (the recorded name is kept).
        string old = Path.Combine(d.Dir, "old");
        var spec = new FinetuneSpec { Manifest = d.Parsed(), Codes = d.Codes, Selection = d.Selection, Model = d.Model(), Out = old, Options = TrainingTests.Small(1) with { Epochs = 1 } };
        FinetuneRun.Run(spec with { System = RunFile.LegacyNoPretrainSystem });
        FinetuneRun.Run(spec);
        Assert.Contains("'system' differs", Assert.Throws<SpeechTokException>(() => FinetuneRun.Run(spec with { System = "audio-random" })).Message);
    }

    /// <summary>select's default --layers was 1-8 whatever the code store held: a store of fewer layers failed deep inside the selection.</summary>
    [Fact]
    public void Select_without_layers_uses_every_layer_of_the_code_store()
    {
        using var d = new ToyData();
        string path = Path.Combine(d.Dir, "s.json");
        var (code, _, err) = CliRunner.Run("select", "--manifest", d.Manifest, "--codes", d.Codes, "--c", "1", "--out", path);
        Assert.True(code == 0, err);
        Assert.Equal([1, 2], SelectionFile.Load(path).Layers);
    }

    /// <summary>select laid features out with a stride of 1024 whatever the code store held: a tokenizer of more codes a layer
    /// (`tokenizer fit --codebook-size 2048`) failed inside the selection with a code "outside 0..1023".</summary>
    [Fact]
    public void Select_and_finetune_work_on_a_store_of_more_than_1024_codes_a_layer()
    {
        using var d = new ToyData(perSplit: 12, codebookSize: 2048);
        string path = Path.Combine(d.Dir, "s.json");
        var (code, _, err) = CliRunner.Run("select", "--manifest", d.Manifest, "--codes", d.Codes, "--c", "1", "--out", path);
        Assert.True(code == 0, err);
        var sel = SelectionFile.Load(path);
        Assert.Equal(2048, sel.CodebookSize);
        Assert.Contains(sel.SelectedFeatures, f => f is 2043 or 2045); // codes 2043 and 2045 of layer 1 tell the classes apart
        var spec = new FinetuneSpec { Manifest = d.Parsed(), Codes = d.Codes, Selection = path, Model = d.Model(), Out = Path.Combine(d.Dir, "run"),
            Options = TrainingTests.Small(1) with { Epochs = 1 } };
        FinetuneRun.Run(spec);
        Assert.True(File.Exists(Path.Combine(FinetuneRun.SeedDir(Path.Combine(d.Dir, "run"), 1), SeedDone.FileName)));
    }

    /// <summary>select --sweep-c wrote the sweep into selection.json but printed nothing about it.</summary>
    [Fact]
    public void Select_prints_the_sweep()
    {
        using var d = new ToyData();
        var (code, stdout, err) = CliRunner.Run("select", "--manifest", d.Manifest, "--codes", d.Codes, "--layers", "1-2", "--c", "1", "--sweep-c", "0.001,1",
            "--num-labels", "2", "--out", Path.Combine(d.Dir, "s.json")); // the primary name (HF num_labels); --num-classes is the alias
        Assert.True(code == 0, err);
        var lines = stdout.TrimEnd().Split('\n');
        Assert.Equal("        C  audio  text inner F1 class 1", lines[0]); // a binary task: the score the choice uses
        Assert.Matches(@"^ +0\.001 +0 +0 +\(all coefficients zero\)$", lines[1]);
        Assert.Matches(@"^ +1 +\d+ +\d+ +[01]\.\d{4}$", lines[2]);
        Assert.Equal("C = 1 from --c; the sweep is only reported (without --c it chooses C)", lines[3]);
        Assert.Contains("audio tokens selected", lines[4]);
        (code, stdout, err) = CliRunner.Run("select", "--manifest", d.Manifest, "--codes", d.Codes, "--layers", "1-2", "--sweep-c", "0.001,1", "--cv", "3",
            "--min-tokens", "1", "--max-token-share", "1", "--out", Path.Combine(d.Dir, "s.json")); // a range C = 1 falls in: the best-F1 branch
        Assert.True(code == 0, err);
        lines = stdout.TrimEnd().Split('\n');
        Assert.Equal("        C  audio  text inner F1 class 1  3-fold CV F1 class 1", lines[0]);
        Assert.Matches(@"^ +1 +\d+ +\d+ +[01]\.\d{4} +[01]\.\d{4}$", lines[2]);
        Assert.Equal(lines[0].Length, lines[2].Length); // right-aligned under their headers
        Assert.Equal(lines[0].IndexOf("class 1 ", StringComparison.Ordinal) + "class 1".Length, lines[2].IndexOf(' ', lines[2].IndexOf('.')));
        Assert.StartsWith("C = 1 chosen from the sweep: best 3-fold CV F1 among C with", lines[3]);
    }

    /// <summary>select --sweep-c without --c selected at the default C 0.03, which the sweep may not even hold (and failed there
    /// when every coefficient was zero); the sweep chooses C as the experiment runner does.</summary>
    [Fact]
    public void Select_sweep_without_c_chooses_c()
    {
        using var d = new ToyData();
        string path = Path.Combine(d.Dir, "s.json");
        var (code, stdout, err) = CliRunner.Run("select", "--manifest", d.Manifest, "--codes", d.Codes, "--layers", "1-2", "--sweep-c", "0.001,1,10", "--out", path);
        Assert.True(code == 0, err);
        var doc = SelectionFile.Load(path);
        Assert.Contains(doc.C!.Value, new[] { 1.0, 10.0 }); // 0.001 keeps no token
        Assert.Equal(CChoice.Choose(CChoice.Points(doc), 16, 16), doc.C); // 16 types at most occur: the range is 16–16, said as "16"
        Assert.Equal(new SelectionFile.CChoiceRule { Rule = "best inner-split F1 among C with 16 selected tokens (else the C closest to that range)",
            MinTokens = 16, MaxTokenShare = 0.01, MinSelected = 16, MaxSelected = 16, Required = false }, doc.CChoice);
        var lines = stdout.TrimEnd().Split('\n');
        // no C keeps exactly 16 tokens here: the line says the fallback chose, not the best F1
        int kept = doc.Sweep!.Single(p => p.C == doc.C).SelectedAudio;
        Assert.NotEqual(16, kept);
        Assert.Equal($"C = {doc.C} chosen from the sweep: no C keeps 16 selected tokens, so the C whose count ({kept}) is closest to that range "
            + $"(rule: {doc.CChoice!.Rule}); --c fixes C instead", lines[^2]);
        Assert.Equal("error: --sweep-c is empty; give comma-separated C values, e.g. 0.01,0.03,0.1",
            CliRunner.Run("select", "--manifest", d.Manifest, "--codes", d.Codes, "--sweep-c", ",", "--out", path).Err.Trim());
        Assert.Equal("error: --sweep-c '0.3,1,0.30': C = 0.3 is listed twice; list distinct values",
            CliRunner.Run("select", "--manifest", d.Manifest, "--codes", d.Codes, "--sweep-c", "0.3,1,0.30", "--out", path).Err.Trim());
    }

    /// <summary>A `select --random` drawn without --codes (among every code of every layer) on a tokenizer using few codes held
    /// tokens that no sample contains: pre-training and fine-tuning ran as text only under an audio system's name (review).</summary>
    [Fact]
    public void A_selection_whose_tokens_occur_in_no_sample_is_refused()
    {
        using var d = new ToyData(perSplit: 8);
        new SelectionFile { SelectedFeatures = [6, 7], Layers = [1, 2], CodebookSize = 8 }.Save(d.Selection); // layer 1 codes 6, 7: never used
        string model = d.Model();
        var pt = new PretrainSpec { Manifest = d.Parsed(), Codes = d.Codes, Selection = d.Selection, Model = model, Out = Path.Combine(d.Dir, "pre"),
            Options = new PretrainOptions { Epochs = 1, BatchSize = 4 } };
        const string expected = "samples contains one of the selection's audio tokens, so the run would read text only";
        Assert.Contains("none of the 24 pre-training " + expected, Assert.Throws<SpeechTokException>(() => pt.Run()).Message);
        var ft = new FinetuneSpec { Manifest = d.Parsed(), Codes = d.Codes, Selection = d.Selection, Model = model, Out = Path.Combine(d.Dir, "run"),
            Options = TrainingTests.Small(1) with { Epochs = 1 } };
        Assert.Contains("none of the 8 train " + expected, Assert.Throws<SpeechTokException>(() => FinetuneRun.Run(ft)).Message);
        // a layer beyond the store's: "codes have 2 RVQ layers; layer 3 is used", naming neither file
        new SelectionFile { SelectedFeatures = [3], Layers = [1, 3], CodebookSize = 8 }.Save(d.Selection);
        Assert.Equal($"{d.Selection}: layers [1,3] use RVQ layer 3, but {d.Codes} holds codes of 2 layers; select again on this store",
            Assert.Throws<SpeechTokException>(() => pt.Run()).Message);
    }

    /// <summary>A run resumed after its codes changed (a clip re-tokenized) trained its remaining seeds on other data.</summary>
    [Fact]
    public void A_run_is_not_resumed_on_other_codes()
    {
        using var d = new ToyData(perSplit: 8);
        string run = Path.Combine(d.Dir, "run"), pre = Path.Combine(d.Dir, "pre");
        var spec = new FinetuneSpec { Manifest = d.Parsed(), Codes = d.Codes, Selection = d.Selection, Model = d.Model(), Out = run, Options = TrainingTests.Small(1) with { Epochs = 1 } };
        var pt = new PretrainSpec { Manifest = d.Parsed(), Codes = d.Codes, Selection = d.Selection, Model = d.Model(), Out = pre,
            Options = new PretrainOptions { Epochs = 1, BatchSize = 4, Accumulation = 1 } };
        FinetuneRun.Run(spec);
        pt.Run();
        Assert.Matches("^[0-9a-f]{64}$", RunFile.Load(Path.Combine(run, RunFile.FileName)).CodesSha256);
        using (var store = CodeStore.OpenOrCreate(d.Codes, "toy", 2, 8))
            store.Append("train/3", new SampleSource(1, 1, SampleSource.NamesOf([Path.Combine(d.Dir, "x3.wav")])), [[5, 5, 5], [1, 2, 3]]);
        Assert.Contains("'codes_sha256' differs", Assert.Throws<SpeechTokException>(() => FinetuneRun.Run(spec with { Options = spec.Options with { Seeds = [1] } })).Message);
        Assert.Contains("'codes_sha256' differs", Assert.Throws<SpeechTokException>(() => pt.Run()).Message);
    }

    /// <summary>A selection made on another tokenizer's codes was accepted: its token ids mean nothing in this store.</summary>
    [Fact]
    public void A_selection_from_another_tokenizers_codes_is_refused()
    {
        using var d = new ToyData(perSplit: 8);
        var sel = SelectionFile.Load(d.Selection) with { CodesTokenizer = "builtin:other" };
        sel.Save(d.Selection);
        var spec = new FinetuneSpec { Manifest = d.Parsed(), Codes = d.Codes, Selection = d.Selection, Model = d.Model(), Out = Path.Combine(d.Dir, "run"),
            Options = TrainingTests.Small(1) with { Epochs = 1 } };
        var e = Assert.Throws<SpeechTokException>(() => FinetuneRun.Run(spec));
        Assert.Equal($"{d.Selection}: the tokens were selected from codes of tokenizer builtin:other, but {d.Codes} holds codes of toy; select again on this store", e.Message);
        var pt = new PretrainSpec { Manifest = d.Parsed(), Codes = d.Codes, Selection = d.Selection, Model = d.Model(), Out = Path.Combine(d.Dir, "pre") };
        Assert.Equal(e.Message, Assert.Throws<SpeechTokException>(() => pt.Run()).Message);
        (sel with { CodesTokenizer = "toy" }).Save(d.Selection);
        FinetuneRun.Run(spec);
        Assert.False(Directory.Exists(Path.Combine(d.Dir, "pre")));
    }

    /// <summary>A malformed command line printed the whole help text and exited 1, naming a .NET type.</summary>
    [Fact]
    public void Malformed_command_lines_are_one_error_line_with_exit_2()
    {
        var (code, stdout, err) = CliRunner.Run("finetune", "--manifest", "m.csv", "--out", "o", "--text-only", "--epochs", "abc", "--lr", "x");
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Equal("error: --lr: 'x' is not a number. --epochs: 'abc' is not an integer. (see `speechtok finetune --help`)", err.Trim());
        // an alias as typed, not the option's first name
        Assert.Equal("error: --num-classes: 'x' is not an integer. (see `speechtok finetune --help`)",
            CliRunner.Run("finetune", "--manifest", "m.csv", "--out", "o", "--text-only", "--num-classes", "x").Err.Trim());
        (code, _, err) = CliRunner.Run("lm", "train", "--bogus");
        Assert.Equal(2, code);
        Assert.Single(err.Trim().Split('\n'));
        Assert.EndsWith("(see `speechtok lm train --help`)", err.Trim());
    }

    /// <summary>A finetune refused for a class absent from train left run.json behind, which then refused the corrected command.</summary>
    [Fact]
    public void A_refused_finetune_leaves_no_run_folder()
    {
        using var d = new ToyData(perSplit: 8);
        string run = Path.Combine(d.Dir, "run");
        var spec = new FinetuneSpec { Manifest = d.Parsed(numClasses: 5), Model = d.Model(), Out = run, TextOnly = true, Options = TrainingTests.Small(1) with { Epochs = 1 } };
        Assert.Contains("3 class(es) never occur in the train split", Assert.Throws<SpeechTokException>(() => FinetuneRun.Run(spec)).Message);
        Assert.False(Directory.Exists(run));
        FinetuneRun.Run(spec with { Manifest = d.Parsed() });
    }

    [Fact]
    public void The_l1_solver_refuses_a_c_whose_penalty_vanishes_and_a_tolerance_outside_0_1()
    {
        var x = new CsrMatrix(2, 1, [0, 1, 2], [0, 0], [1.0, 2.0]);
        int[] y = [0, 1];
        Assert.Single(LogisticRegression.FitPath(x, y, 2, [LogisticRegression.MaxC], Penalty.L1));
        foreach (var c in new[] { 0, -1, LogisticRegression.MaxC * 10, 1e308, double.PositiveInfinity, double.NaN })
            Assert.StartsWith("C must be a positive number ≤ 1e12", Assert.Throws<SpeechTokException>(() => LogisticRegression.FitPath(x, y, 2, [c], Penalty.L1)).Message);
        foreach (var tol in new[] { 0, -1, 1, 1e300 })
            Assert.Contains("(--tol) must be in (0, 1)", Assert.Throws<SpeechTokException>(() => LogisticRegression.FitPath(x, y, 2, [1.0], Penalty.L1, new LogisticOptions { Tolerance = tol })).Message);
    }

    [Fact]
    public void An_out_path_that_is_a_file_is_one_error_line_not_a_stack_trace()
    {
        using var d = new ToyData();
        string file = Path.Combine(d.Dir, "afile");
        File.WriteAllText(file, "x");
        var (code, _, err) = CliRunner.Run("finetune", "--manifest", d.Manifest, "--text-only", "--model", d.Model(), "--seeds", "1", "--epochs", "1", "--out", file);
        Assert.Equal(2, code);
        Assert.StartsWith("error: ", err);
        Assert.Contains(file, err);
        Assert.DoesNotContain("   at ", err);
        Assert.Equal("x", File.ReadAllText(file));
    }

    /// <summary>select --out (and tokenize --jsonl) wrote over the command's own inputs and exited 0: the manifest, its
    /// class-name file, the code store's store.json (the store was then unreadable).</summary>
    [Fact]
    public void Select_and_tokenize_outputs_cannot_replace_their_inputs()
    {
        using var d = new ToyData(perSplit: 8);
        string sidecar = SpeechTok.Audio.Manifest.LabelNamesPath(d.Manifest);
        File.WriteAllLines(sidecar, ["a", "b"]);
        string storeJson = Path.Combine(d.Codes, CodeStore.MetaFile), split = Path.Combine(d.Dir, "split.json");
        File.WriteAllText(split, "{}");
        var inputs = new[] { d.Manifest, sidecar, storeJson, Path.Combine(d.Codes, CodeStore.DataFile), split }.ToDictionary(f => f, File.ReadAllBytes);
        foreach (var (args, message) in new (string[], string)[]
        {
            (["select", "--manifest", d.Manifest, "--codes", d.Codes, "--c", "0.5", "--out", d.Manifest], $"--out {d.Manifest} is the manifest {d.Manifest}"),
            (["select", "--manifest", d.Manifest, "--codes", d.Codes, "--c", "0.5", "--out", sidecar], $"--out {sidecar} is the manifest's class-name file {sidecar}"),
            (["select", "--manifest", d.Manifest, "--codes", d.Codes, "--c", "0.5", "--out", storeJson], $"--out {storeJson} is the code store's store.json {storeJson}"),
            (["select", "--manifest", d.Manifest, "--codes", d.Codes, "--c", "0.5", "--out", Path.Combine(d.Codes, CodeStore.DataFile)], $"--out {Path.Combine(d.Codes, CodeStore.DataFile)} is the code store's codes.bin"),
            (["select", "--manifest", d.Manifest, "--codes", d.Codes, "--c", "0.5", "--split", split, "--out", split], $"--out {split} is the --split file {split}"),
            (["tokenize", "--manifest", d.Manifest, "--tokenizer", "builtin", "--out", Path.Combine(d.Dir, "c2"), "--jsonl", d.Manifest], $"--jsonl {d.Manifest} is the manifest {d.Manifest}"),
        })
        {
            var (code, stdout, err) = CliRunner.Run(args);
            Assert.Equal((2, ""), (code, stdout));
            Assert.StartsWith($"error: {message}", err.Trim());
        }
        foreach (var (file, bytes) in inputs) Assert.Equal(bytes, File.ReadAllBytes(file));
        Assert.False(Directory.Exists(Path.Combine(d.Dir, "c2")));
    }

    /// <summary>
    /// Epochs × steps per epoch was an int product: finetune --epochs 1500000000 failed in the schedule (not naming --epochs)
    /// after run.json was saved, which then refused the corrected command; pretrain wrapped its step count.
    /// </summary>
    [Fact]
    public void More_steps_than_a_run_can_count_are_refused_naming_epochs_before_anything_is_written()
    {
        using var d = new ToyData(perSplit: 8);
        string model = d.Model();
        // 8 train samples in batches of 1: 8 steps an epoch.
        var ft = new FinetuneSpec { Manifest = d.Parsed(), Model = model, Out = Path.Combine(d.Dir, "run"), TextOnly = true,
            Options = TrainingTests.Small(1) with { Epochs = 1_500_000_000, BatchSize = 1 } };
        Assert.Equal("--epochs 1500000000: 1500000000 epochs of 8 step(s) are 12000000000 optimizer steps, more than the 2147483647 a run can count; "
            + "lower --epochs or raise --batch-size", Assert.Throws<SpeechTokException>(() => FinetuneRun.Run(ft)).Message);
        Assert.False(Directory.Exists(ft.Out));
        // 24 samples, 3 held out, 21 in batches of 4: 6 steps an epoch.
        var pre = new PretrainSpec { Manifest = d.Parsed(), Codes = d.Codes, Selection = d.Selection, Model = model, Out = Path.Combine(d.Dir, "pre"),
            Options = new PretrainOptions { Epochs = 1_000_000_000, BatchSize = 4, Accumulation = 1 } };
        Assert.StartsWith("--epochs 1000000000: 1000000000 epochs of 6 step(s) are 6000000000 optimizer steps, more than the 2147483647 a run can count; "
            + "lower --epochs or raise --batch-size or --gradient-accumulation-steps", Assert.Throws<SpeechTokException>(() => pre.Run()).Message);
        Assert.False(Directory.Exists(pre.Out));
        // The corrected command runs in the same folder.
        FinetuneRun.Run(ft with { Options = ft.Options with { Epochs = 1 } });
    }

    /// <summary>--max-grad-norm 0 was refused; HF's 0 turns clipping off. It trains as a threshold no norm reaches does.</summary>
    [Fact]
    public void Max_grad_norm_0_turns_clipping_off()
    {
        using var d = new ToyData(perSplit: 8);
        string model = d.Model();
        string Curves(double maxGradNorm, string name)
        {
            var spec = new FinetuneSpec { Manifest = d.Parsed(), Model = model, Out = Path.Combine(d.Dir, name), TextOnly = true,
                Options = TrainingTests.Small(1) with { Epochs = 2, MaxGradNorm = maxGradNorm } };
            FinetuneRun.Run(spec);
            return File.ReadAllText(Path.Combine(FinetuneRun.SeedDir(spec.Out, 1), SeedCurves.FileName));
        }
        string off = Curves(0, "off");
        Assert.Equal(Curves(1e300, "huge"), off);
        Assert.NotEqual(Curves(1e-3, "tight"), off); // clipping acts in this run: 0 is not some small threshold
        Assert.StartsWith("--max-grad-norm -1: must be a finite number ≥ 0 (0: no clipping)",
            Assert.Throws<SpeechTokException>(() => new PretrainOptions { MaxGradNorm = -1 }.Validate()).Message);
    }
}
