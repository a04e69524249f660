using System.Diagnostics;
using SpeechTok.Audio;
using SpeechTok.Codec;
using SpeechTok.Codec.Builtin;
using SpeechTok.Codec.Store;
using SpeechTok.Evaluation;
using SpeechTok.IO;
using SpeechTok.Selection;
using SpeechTok.Tensors;
using SpeechTok.Training;

namespace SpeechTok.Experiments.Runner;

/// <summary>
/// The whole paper in one call (docs/experiments.md): tokenize once, select once per layer setting,
/// pre-train once per selection, then every system; each finished system is upserted into OUT/results.json
/// and skipped on a rerun, and every training step resumes from its own checkpoint.
/// </summary>
public static class ExperimentRunner
{
    public static readonly string[] Systems =
        ["bow", "mfcc", "bow-mfcc", "text-only-llm", "audio-lasso", "audio-lasso-8", "audio-random", "audio-lasso-nopt", "audio-vector"];

    public const string TimingsFile = "timings.json";

    /// <summary>The systems that read no clip: run alone, they run where the audio is absent.</summary>
    private static readonly string[] TextSystems = ["bow", "text-only-llm"];

    /// <summary>The systems whose tokens come from the acoustic layers (all but the first): audio-random draws as many as audio-lasso keeps.</summary>
    private static readonly string[] AcousticSystems = ["audio-lasso", "audio-random", "audio-lasso-nopt"];

    /// <summary>The name of the random ablation's selection (selection/random.json, pretrain/random/).</summary>
    internal const string RandomSelection = "random";

    /// <summary>
    /// Runs the systems of <paramref name="o"/> (resuming what a folder already holds) and returns the results.
    /// <paramref name="log"/> is called one line at a time, even while seeds fine-tune at once on several threads.
    /// <paramref name="progress"/> gets every pre-training and fine-tuning step (<see cref="ProgressPrinter.Report"/> prints
    /// it, throttled); seeds that train at once call it from their own threads.
    /// </summary>
    public static ExperimentResults Run(ExperimentOptions o, Action<string>? log = null, Action<TrainingProgress>? progress = null)
    {
        OutputPaths.RequireFolder(o.Out, "experiment writes a folder (results.json, report.md, runs/, …)");
        var sink = log ?? (_ => { });
        var gate = new object();
        log = line => { lock (gate) sink(line); };
        var requested = o.OnlySystems ?? Systems;
        foreach (var s in requested)
            if (Array.IndexOf(Systems, s) < 0) throw new SpeechTokException($"--systems: unknown system '{s}' (expected {string.Join(", ", Systems)})");
        var systems = Systems.Where(requested.Contains).ToList(); // the fixed order, each once, whatever order --systems gives
        if (systems.Count == 0) throw new SpeechTokException($"--systems lists no system (expected some of {string.Join(", ", Systems)})");
        UtteranceEncoders.Load(o.AudioEncoder); // an unknown --audio-encoder fails now, not after the baselines
        Threading.Threads = Math.Max(1, o.Threads);

        var manifest = Manifest.Load(o.Manifest, o.AudioRoot);
        var preset = o.ResolvePreset(manifest.Task);
        // Everything below trains for minutes: a bad manifest must fail first, naming every missing, unreadable or empty clip
        // (text systems alone need none: `--systems bow,text-only-llm` runs where the audio is absent).
        bool readsClips = systems.Any(s => !TextSystems.Contains(s));
        if (readsClips) manifest.RequireClips();
        manifest.RequireAllClassesInTrain();
        foreach (var split in Manifest.SplitNames)
            if (!manifest.Samples.Any(s => s.Split == split)) throw new SpeechTokException($"{manifest.Path}: split '{split}' is empty (experiment needs train, val and test)");

        // So must a wrong --tokenizer or --model (or one whose context is shorter than the preset's max length), before the baselines run and the folder records them.
        // (a SpeechTokenizer is loaded in full: its config and checkpoint are checked, not just the folder's presence)
        if (o.Tokenizer != TokenizerLoader.Builtin)
        {
            if (systems.Any(s => s.StartsWith("audio-", StringComparison.Ordinal) && s != "audio-vector")) (TokenizerLoader.Load(o.Tokenizer) as IDisposable)?.Dispose();
            else TokenizerLoader.RequireFolder(o.Tokenizer);
        }
        // The lasso systems select among the tokenizer's RVQ layers (2-8 and 1-8 with SpeechTokenizer's 8): with fewer, those it has.
        int numQuantizers = o.Tokenizer == TokenizerLoader.Builtin ? new BuiltinFitOptions().NumQuantizers : TokenizerLoader.NumQuantizers(o.Tokenizer);
        if (numQuantizers < 2 && systems.Where(AcousticSystems.Contains).ToList() is { Count: > 0 } acoustic)
            throw new SpeechTokException($"--tokenizer {o.Tokenizer} has {numQuantizers} RVQ layer: {string.Join(", ", acoustic)} select among layers 2 and up (all but the first); " +
                "use a tokenizer with 2 or more layers, or leave them out with --systems");
        using (var lm = LanguageModel.Load(ModelResolver.Resolve(o.Model), selection: null)) lm.CheckSequenceLength(preset.MaxLength, preset.MaxLengthField);

        var dirs = new Dirs(Path.GetFullPath(o.Out));
        using var writing = FolderLock.Acquire(dirs.Root, "experiment");
        var timings = new StepTimings(Path.Combine(dirs.Root, TimingsFile));
        string task = ExperimentResults.TaskName(manifest.Task);
        var resultsPath = Path.Combine(dirs.Root, ExperimentResults.FileName);
        var existing = ExperimentResults.Existing(resultsPath, manifest.Path, manifest.Sha256, task);
        RequireOwnEntries(existing, resultsPath, timings); // before experiment.json would claim a folder of another command's results
        var done = existing?.Systems.Select(s => s.System).ToHashSet() ?? [];
        CheckSettings(dirs, o, preset, manifest.Sha256);
        // Clips changed since the folder's results were made from them are refused here, not after the systems that read
        // them ran on the new audio; a text-systems-only run checks too when the clips are there (the token report reads them).
        if (readsClips || manifest.MissingClips().Count == 0) ExperimentClips.Require(dirs.Root, manifest, dirs.Codes, record: readsClips);

        void Record(SystemResult r)
        {
            ExperimentResults.Upsert(resultsPath, manifest.Path, manifest.Sha256, task, r, o.ClassNames ?? manifest.LabelNames);
            log($"{r.System}: test macro-F1 {r.MacroF1:F4}" + (r.MacroF1Std is { } sd ? $" ± {sd:F4}" : "") + $" ({r.Seconds:F0} s) → {resultsPath}");
        }

        var ctx = new Context(o, preset, manifest, dirs, timings, log, progress, numQuantizers);
        foreach (var system in systems)
        {
            if (done.Contains(system)) { log($"{system}: already in results.json, skipped"); continue; }
            var r = timings.For(system, () => system switch
            {
                "bow" or "mfcc" or "bow-mfcc" => ctx.Baseline(system),
                "text-only-llm" => ctx.Finetune(system, selection: null, pretrained: null),
                "audio-lasso" => ctx.Finetune(system, ctx.Selection(ctx.AcousticLayers), ctx.Pretrain(ctx.AcousticLayers)),
                "audio-lasso-8" => ctx.Finetune(system, ctx.Selection(ctx.AllLayers), ctx.Pretrain(ctx.AllLayers)),
                "audio-random" => ctx.Finetune(system, ctx.Selection(RandomSelection), ctx.Pretrain(RandomSelection)),
                "audio-lasso-nopt" => ctx.Finetune(system, ctx.Selection(ctx.AcousticLayers), pretrained: null),
                "audio-vector" => ctx.Finetune(system, selection: null, pretrained: null, o.AudioEncoder),
                _ => throw new UnreachableException(),
            });
            Record(r with { Seconds = timings.SecondsOf(system) }); // every attempt of its steps, as timings.json
        }
        var results = ExperimentResults.Load(resultsPath);
        // results.json lists the systems in the fixed order, whatever order earlier --systems subsets added them in
        var ordered = results.Systems.OrderBy(s => Array.IndexOf(Systems, s.System)).ToList(); // every entry is a system's (RequireOwnEntries)
        if (!ordered.SequenceEqual(results.Systems))
        {
            results = results with { Systems = ordered };
            results.Save(resultsPath);
        }
        ExperimentReport.Write(ctx, results);
        return results;
    }

    /// <summary>The step that makes a system's result (timings.json), after which it is recorded in results.json.</summary>
    private static string StepOf(string system) => system is "bow" or "mfcc" or "bow-mfcc" ? $"baseline {system}" : $"fine-tune {system}";

    /// <summary>
    /// An entry of results.json is this experiment's when it is a system's test entry and that system's own step finished
    /// in this folder (timings.json). Another command's entry (<c>baseline --out</c> into this folder: another grid, split or
    /// mixdown) would otherwise be skipped as done and reported under this experiment's settings.
    /// </summary>
    private static void RequireOwnEntries(ExperimentResults? results, string path, StepTimings timings)
    {
        var foreign = results?.Systems.Where(s => s.Split != "test" || !Systems.Contains(s.System) || !timings.Finished(StepOf(s.System)))
            .Select(s => $"'{s.System}' (split {s.Split})").ToList();
        if (foreign is { Count: > 0 })
            throw new SpeechTokException($"{path}: entries not written by this experiment: {ShortList.Join(", ", foreign)} ({TimingsFile} records no finished run of them here; " +
                "another command, such as `speechtok baseline --out`, wrote them); they are neither skipped as done nor reported under this experiment's settings: " +
                "use another --out, or remove them from results.json");
    }

    /// <summary>A rerun into the same folder must be the same experiment, or cached steps would mix settings.</summary>
    private static void CheckSettings(Dirs dirs, ExperimentOptions o, ExperimentPreset preset, string manifestSha256) =>
        new ExperimentSettings
        {
            Manifest = Path.GetFullPath(o.Manifest), ManifestSha256 = manifestSha256,
            AudioRoot = ExperimentSettings.AudioRootOf(o.AudioRoot, o.Manifest),
            Model = o.Model == ModelResolver.Builtin ? ModelResolver.Builtin : Path.GetFullPath(o.Model),
            Tokenizer = o.Tokenizer == TokenizerLoader.Builtin ? TokenizerLoader.Builtin : Path.GetFullPath(o.Tokenizer),
            Preset = preset.Describe().ToDictionary(kv => kv.Key, kv => kv.Value),
            BuiltinLmSha256 = o.Model == ModelResolver.Builtin ? BuiltinLm.ModelSha256 : null,
            Mixdown = o.Mixdown ? true : null,
        }.SaveOrRequireSame(dirs.Root);

    internal sealed record Dirs(string Root)
    {
        public string Codes => Path.Combine(Root, "codes");
        public string Selection => Path.Combine(Root, "selection");
        public string Pretrain => Path.Combine(Root, "pretrain");
        public string Runs => Path.Combine(Root, "runs");
        public string Plots => Path.Combine(Root, "plots");
    }

    /// <summary>The shared, cached intermediate steps.</summary>
    /// <param name="numQuantizers">The speech tokenizer's RVQ layers.</param>
    internal sealed class Context(ExperimentOptions o, ExperimentPreset preset, Manifest manifest, Dirs dirs, StepTimings timings, Action<string> log,
        Action<TrainingProgress>? progress, int numQuantizers)
    {
        public ExperimentOptions Options => o;
        public ExperimentPreset Preset => preset;
        public Manifest Manifest => manifest;
        public Dirs Dirs => dirs;
        public StepTimings Timings => timings;
        public Action<string> Log => log;
        public int NumQuantizers => numQuantizers;

        /// <summary>
        /// The layers of audio-lasso, audio-lasso-nopt and audio-random, all but the first ("2-8" with SpeechTokenizer), as
        /// <c>--layers</c> spells them; they name the selection and pre-training they share (selection/2-8.json, pretrain/2-8/).
        /// </summary>
        public string AcousticLayers => Range(2, numQuantizers);

        /// <summary>The layers of audio-lasso-8: every one ("1-8" with SpeechTokenizer).</summary>
        public string AllLayers => Range(1, numQuantizers);

        private static string Range(int first, int last) => first == last ? $"{first}" : $"{first}-{last}";
        private string? _model, _codes;
        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, float[]> _mfcc = new();

        // mfcc and bow-mfcc share the per-clip vectors (the slow part).
        private float[] Mfcc(ManifestSample s) => _mfcc.GetOrAdd(s.Key, _ => Baselines.MfccFeaturesOf(o.Mixdown)(s));
        private readonly Dictionary<string, string> _selections = [];
        private readonly Dictionary<string, string> _pretrained = [];

        public SystemResult Baseline(string system) => timings.Time(StepOf(system), () =>
        {
            log($"{system}: L2 logistic regression, C chosen on val");
            return Baselines.RecordMixdown(Baselines.Run(system, manifest, Baselines.DefaultGrid, Mfcc, line => log($"{system}: {line}")), o.Mixdown);
        });

        public string Model() => _model ??= Path.GetFullPath(ModelResolver.Resolve(o.Model));

        /// <summary>One tokenization of every sample into OUT/codes (resumable; the built-in tokenizer is fitted once into OUT/codes/tokenizer).</summary>
        public string Codes()
        {
            if (_codes != null) return _codes;
            return _codes = timings.Time("tokenize", () =>
            {
                string tokDir = o.Tokenizer == TokenizerLoader.Builtin ? Path.Combine(dirs.Codes, TokenizerLoader.BuiltinSubfolder) : o.Tokenizer;
                ISpeechTokenizer tok = o.Tokenizer == TokenizerLoader.Builtin
                    ? TokenizerLoader.LoadOrFitBuiltin(tokDir, manifest, new BuiltinFitOptions(), o.Mixdown, log)
                    : TokenizerLoader.Load(tokDir);
                try
                {
                    var r = Tokenization.Run(manifest, tok, TokenizerLoader.Identity(tokDir), dirs.Codes, new TokenizeOptions
                    {
                        Threads = o.Threads, Mixdown = o.Mixdown,
                        RefuseChangedBecause = "this experiment's tokenizer, selections and runs were made from the old audio: use another --out",
                    }, null, CancellationToken.None);
                    log($"tokenize: {r.Encoded} encoded, {r.Skipped} already done → {dirs.Codes}");
                }
                finally { (tok as IDisposable)?.Dispose(); }
                return dirs.Codes;
            });
        }

        /// <summary>
        /// selection/{2-8,1-8,random}.json (<see cref="AcousticLayers"/>, <see cref="AllLayers"/>, <see cref="RandomSelection"/>). C is not a constant: every C of the preset's sweep is fitted, and the
        /// one with the best inner-split F1 among those keeping a number of tokens inside the target range wins.
        /// </summary>
        public string Selection(string which)
        {
            if (_selections.TryGetValue(which, out var p)) return p;
            Directory.CreateDirectory(dirs.Selection);
            string path = Path.Combine(dirs.Selection, $"{which}.json");
            if (!File.Exists(path))
            {
                var codes = Codes();
                // random keeps as many tokens as the acoustic selection: that one is its own step, made before this one starts, so
                // that its seconds are not counted again inside 'selection random' (timings' total, audio-random's seconds)
                string? lasso = which == RandomSelection ? Selection(AcousticLayers) : null;
                timings.Time($"selection {which}", () =>
                {
                    SelectionFile doc;
                    using var store = CodeStore.Open(codes);
                    if (lasso != null)
                    {
                        int k = SelectionFile.Load(lasso).SelectedFeatures.Length;
                        doc = SelectionRunner.Run(Select(AcousticLayers, store.CodebookSize) with { RandomK = k, Seed = SelectOptions.DefaultSeed }, s => store.TryGet(s));
                    }
                    else
                    {
                        doc = SelectionRunner.Run(Select(which, store.CodebookSize) with { SweepC = preset.SweepC, ChooseC = preset.TokenTarget }, s => store.TryGet(s));
                        log($"selection {which}: C = {doc.C:G4} → {doc.Counts!.SelectedAudio} audio tokens, inner F1 {doc.InnerSplit!.MacroF1:F4}");
                        if (doc.ConvergenceWarning is { } unconverged) log($"selection {which}: {unconverged}");
                    }
                    (doc with { CodesTokenizer = store.TokenizerIdentity }).Save(path);
                    return 0;
                });
            }
            return _selections[which] = path;
        }

        private SelectOptions Select(string layers, int codebookSize) => new()
        {
            Manifest = manifest, Layout = AudioFeatureLayout.Parse(layers, numQuantizers, AudioFeatureLayout.StrideFor(codebookSize)), Bow = true, Seed = SelectOptions.DefaultSeed,
        };

        /// <summary>pretrain/{which}: rows of the selection's tokens, trained once and shared by every system using them.</summary>
        public string Pretrain(string which)
        {
            if (_pretrained.TryGetValue(which, out var p)) return p;
            string sel = Selection(which), dir = Path.Combine(dirs.Pretrain, which);
            if (!File.Exists(Path.Combine(dir, PretrainFile.FileName)))
            {
                var spec = new PretrainSpec
                {
                    Manifest = manifest, Codes = Codes(), Selection = sel, Model = Model(), Out = dir, MaxLength = preset.MaxLength, MaxLengthOption = preset.MaxLengthField,
                    Options = new PretrainOptions { Epochs = preset.PretrainEpochs, Lr = preset.PretrainLr },
                };
                timings.Time($"pre-train {which}", () => spec.Run(log, progress: progress));
            }
            return _pretrained[which] = dir;
        }

        /// <summary>An LLM system: audio tokens of <paramref name="selection"/>, one vector of <paramref name="audioEncoder"/>, or neither (text only).</summary>
        public SystemResult Finetune(string system, string? selection, string? pretrained, string? audioEncoder = null)
        {
            string run = Path.Combine(dirs.Runs, system);
            var spec = new FinetuneSpec
            {
                Manifest = manifest, Model = Model(), Out = run, Codes = selection == null ? null : Codes(), Selection = selection,
                Pretrained = pretrained, TextOnly = selection == null && audioEncoder == null, AudioEncoder = audioEncoder, Mixdown = audioEncoder != null && o.Mixdown, System = system, MaxLength = preset.MaxLength, MaxLengthOption = preset.MaxLengthField,
                Options = new FinetuneOptions { Epochs = preset.FinetuneEpochs, Patience = preset.FinetunePatience, Lr = preset.FinetuneLr, BatchSize = preset.FinetuneBatchSize, LoraRank = preset.LoraRank, LoraAlpha = preset.LoraAlpha, Seeds = preset.Seeds, MetricForBestModel = preset.MetricForBestModel },
            };
            log($"{system}: fine-tuning {preset.Seeds.Length} seed(s)");
            return timings.Time(StepOf(system), () =>
            {
                FinetuneRun.Run(spec, log, progress: progress);
                return RunEvaluation.Evaluate(run, "test", log);
            });
        }
    }
}
