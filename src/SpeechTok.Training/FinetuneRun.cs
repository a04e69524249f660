using SpeechTok.Audio;
using SpeechTok.Codec;
using SpeechTok.Codec.Store;
using SpeechTok.Evaluation;
using SpeechTok.Lm.Model;
using SpeechTok.Lm.Serialization;
using SpeechTok.Selection;
using SpeechTok.Tensors;
using SpeechTok.Tensors.IO;
using SpeechTok.IO;

namespace SpeechTok.Training;

/// <summary>
/// A fine-tuning run folder (docs/training.md): run.json, new_rows.safetensors, seed-S/{checkpoint/,
/// adapter_config.json, adapter_model.safetensors, curves.json, predictions-val.json, predictions-test.json,
/// done.json}; audio-vector runs add seed-S/audio_projection.safetensors; full fine-tuning writes seed-S/config.json
/// and model.safetensors (<see cref="FullModel"/>) instead of the adapter files.
/// Seeds already done are skipped on a rerun; an unfinished seed resumes from its checkpoint.
/// </summary>
public static class FinetuneRun
{
    public const string RowsFile = "new_rows.safetensors", EmbedRowsTensor = "embed_rows";
    public static string SeedDir(string run, int seed) => Path.Combine(run, $"seed-{seed}");

    /// <summary>
    /// Fine-tunes every seed of <paramref name="spec"/> not yet done, calling <paramref name="progress"/> after every step
    /// with the seed's epoch, step, loss, speed and ETA (<see cref="ProgressPrinter.Report"/> prints it). Seeds that train at once
    /// (<see cref="FinetuneOptions.SeedWorkers"/>) call <paramref name="log"/>, <paramref name="afterStep"/> and
    /// <paramref name="progress"/> from their own threads, so all three must be thread-safe. The first seed's error stops the
    /// others at their next step and is rethrown; a rerun resumes each unfinished seed from its last checkpoint.
    /// </summary>
    public static void Run(FinetuneSpec spec, Action<string>? log = null, Action<long>? afterStep = null, Action<TrainingProgress>? progress = null)
    {
        string outDir = OutputPaths.RequireFolder(spec.Out, "finetune writes a run folder (run.json, seed-S/)");
        // run.json is written before any seed: a folder without it is no run of this command (a model folder, a baseline's output).
        OutputPaths.RequireNewOrOwnFolder(outDir, "finetune", "run folder", [RunFile.FileName], []);
        var manifest = spec.Manifest;
        int k = manifest.NumClasses;
        if (manifest.Task != TaskKind.Multilabel && k < 2) throw new SpeechTokException($"{manifest.Path}: {k} class(es); classification needs at least 2");
        bool vector = spec.AudioEncoder != null;
        spec.Options.Validate();
        SampleSerializer.CheckMaxLength(spec.MaxLength, spec.MaxLengthOption);
        ClassificationMetrics.ValidateSelection(manifest.Task, spec.Options.MetricForBestModel);
        // Audio-token rows and the audio projection train on their own paths, which full fine-tuning does not take.
        if (spec.Options.FinetuningType == FinetuneOptions.Full && !spec.TextOnly)
            throw new SpeechTokException("--finetuning-type full trains the text model only: it needs --text-only (audio tokens and --audio-vector fine-tune with lora)");
        if (vector && (spec.TextOnly || spec.Selection != null)) throw new SpeechTokException("--audio-vector excludes --text-only and --selection (the audio is one vector, not tokens)");
        FinetuneSpec.RequireMixdownReadsClips(spec.Mixdown, vector, spec.TextOnly);
        var selection = spec.TextOnly || vector ? null : SelectionFile.LoadTokens(spec.Selection ?? throw new SpeechTokException("--selection is required unless --text-only or --audio-vector"));
        using var lm = LanguageModel.Load(spec.Model, selection, vector);
        var mode = spec.TextOnly ? SerializationMode.TextOnly : vector ? SerializationMode.AudioVector : spec.Serialization;
        var serializer = lm.Serializer(mode, spec.MaxLength, spec.MaxLengthOption);
        using var codes = serializer.NeedsCodes ? CodeStore.Open(spec.Codes ?? throw new SpeechTokException("--codes is required with selected audio tokens")) : null;
        if (codes != null) selection!.RequireCodesOf(codes.TokenizerIdentity, codes.CodebookSize, codes.NumQuantizers, codes.Directory);
        var encoder = vector ? UtteranceEncoders.Load(spec.AudioEncoder!) : null;
        ZScore? norm = null;
        float[][]? raw = null;
        if (encoder != null)
        {
            manifest.RequireClips();
            raw = AudioVectors.Encode(manifest.Samples, encoder, spec.Mixdown);
            norm = ZScore.Fit(manifest.Samples.Select((s, i) => (s, i)).Where(x => x.s.Split == "train").Select(x => raw[x.i]).ToList());
        }
        var sets = Manifest.SplitNames.ToDictionary(s => s, s => manifest.Samples.Any(x => x.Split == s)
            ? EncodedSet.Encode(s, manifest.Split(s), serializer, codes) with
            {
                Vectors = norm == null ? null : manifest.Samples.Select((x, i) => (x, i)).Where(p => p.x.Split == s).Select(p => norm.Apply(raw![p.i])).ToArray(),
            }
            : null);
        foreach (string split in Manifest.SplitNames)
        {
            sets[split]?.RequireAudioKept(spec.MaxLengthOption, spec.MaxLength, log);
            sets[split]?.RequireVectorSlotKept(spec.MaxLengthOption, spec.MaxLength, log);
            sets[split]?.WarnCut($"{spec.MaxLengthOption} {spec.MaxLength}", log, all => $"{spec.MaxLengthOption} {all} keeps them all"); // text only, audio vector
        }
        if (codes?.UnverifiedWarning is { } unverified) log?.Invoke(unverified);
        var train = sets["train"] ?? throw new SpeechTokException($"{manifest.Path}: split 'train' is empty");
        var val = sets["val"] ?? throw new SpeechTokException($"{manifest.Path}: split 'val' is empty (model selection needs it)");
        // Before the folder exists: a refused run must not leave a run.json that refuses the corrected command.
        if (manifest.Task != TaskKind.Multilabel) manifest.RequireAllClassesInTrain();
        spec.Options.TotalSteps(train.Count, manifest.Task); // a step count beyond int range is refused here, not at the first seed

        Tensor? rows = null, head = null;
        if (spec.Pretrained != null) (rows, head) = Pretrainer.LoadRows(spec.Pretrained, lm);
        var runFile = new RunFile
        {
            System = spec.System ?? (spec.TextOnly ? "text-only-llm" : vector ? "audio-vector" : spec.Pretrained != null ? "audio-lasso" : RunFile.NoPretrainSystem), // the experiment's names
            Manifest = manifest.Path, ManifestSha256 = manifest.Sha256, Task = ExperimentResults.TaskName(manifest.Task), NumLabels = k,
            Model = ModelResolver.Reference(lm.Folder), BuiltinLmSha256 = ModelResolver.BuiltinSha256(ModelResolver.Reference(lm.Folder)), ModelStamp = ModelResolver.Stamp(ModelResolver.Reference(lm.Folder)),
            PretrainedSha256 = spec.Pretrained == null ? null : Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(Path.Combine(spec.Pretrained, Pretrainer.RowsFile)))),
            Codes = InputPaths.FullPath(spec.Codes),
            CodesTokenizer = codes?.TokenizerIdentity, CodesMixdown = codes?.Mixdown, CodesSha256 = codes?.Fingerprint(manifest.Samples.Select(s => s.Key)), Selection = selection, Pretrained = InputPaths.FullPath(spec.Pretrained),
            TextOnly = spec.TextOnly, AudioEncoder = encoder?.Identity, AudioMixdown = spec.Mixdown ? true : null, AudioVectorDim = encoder?.Dim, AudioVectorNorm = norm, Serialization = SampleSerializer.ModeName(mode), MaxLength = spec.MaxLength,
            Tokenizer = lm.Extension(), Hyperparameters = FinetuneHyperparameters.From(spec.Options, manifest.Task),
            Truncated = sets.Where(kv => kv.Value != null).ToDictionary(kv => kv.Key, kv => kv.Value!.Truncated),
            ClassNames = manifest.LabelNames,
        };
        string runPath = Path.Combine(spec.Out, RunFile.FileName);
        if (File.Exists(runPath)) runFile.RequireSameRunAs(RunFile.Load(runPath), runPath);
        // Only now, every input checked (the pre-trained rows too): a refused command leaves no folder behind.
        using var writing = FolderLock.Acquire(spec.Out, "finetune");
        runFile.Save(runPath);

        var pending = new List<int>();
        foreach (int seed in spec.Options.Seeds)
            if (File.Exists(Path.Combine(SeedDir(spec.Out, seed), SeedDone.FileName))) log?.Invoke($"seed {seed}: done, skipped");
            else pending.Add(seed);
        int workers = SeedWorkers(spec.Options, lm.Weights, pending.Count);
        if (workers > 1) log?.Invoke($"fine-tuning {pending.Count} seeds, {workers} at a time on {Threading.Threads} threads");
        Threading.RunJobs(pending.Count, workers, (i, cancel) =>
        {
            int seed = pending[i];
            string dir = SeedDir(spec.Out, seed);
            Directory.CreateDirectory(dir);
            // Each seed has its own appended rows on the shared backbone, so seeds can train at once.
            var (embed, lmHead) = lm.NewRows((ulong)seed, rows, head);
            var weights = lm.Weights.WithVocabularyExtension(embed, lmHead);
            var r = Finetuner.RunSeed(lm, weights, manifest.Task, k, train, val, seed, spec.Options, dir, log, step =>
            {
                afterStep?.Invoke(step);
                cancel.ThrowIfCancellationRequested(); // another seed failed: stop as a kill would; a rerun resumes from the last checkpoint
            }, progress);
            // The run folder must reproduce predictions without the pre-training folder: keep the rows used.
            var saved = new List<(string, Tensor)> { (EmbedRowsTensor, embed) };
            if (lmHead != null) saved.Add((Pretrainer.HeadRowsTensor, lmHead));
            SafeTensors.Save(Path.Combine(dir, RowsFile), saved);
            r.Curves.Save(Path.Combine(dir, SeedCurves.FileName));
            log?.Invoke($"seed {seed}: best val {ClassificationMetrics.SelectionName(manifest.Task, spec.Options.MetricForBestModel)} {r.BestMetric:F4} at epoch {r.BestEpoch}");
            Finalise(lm, weights, manifest.Task, k, manifest.LabelNames, sets, seed, spec.Options, dir);
        });
    }

    /// <summary>
    /// Seeds to train at once: <see cref="FinetuneOptions.SeedWorkers"/>, or when 0 every thread its own seed for a
    /// backbone of at most <see cref="FinetuneOptions.SmallModelParameters"/> parameters and one seed otherwise; at most <paramref name="pending"/>.
    /// </summary>
    internal static int SeedWorkers(FinetuneOptions o, LlamaWeights weights, int pending)
    {
        int w = o.SeedWorkers > 0 ? o.SeedWorkers
            : weights.Named().Sum(t => t.Tensor.Length) <= FinetuneOptions.SmallModelParameters ? Threading.Threads : 1;
        return Math.Max(1, Math.Min(w, pending));
    }

    /// <summary>
    /// Writes the best adapter in PEFT format (full fine-tuning: the best model as <see cref="FullModel"/>), the audio
    /// projection, and the predictions of every non-empty split, then done.json.
    /// </summary>
    private static void Finalise(LanguageModel lm, LlamaWeights weights, TaskKind task, int k, IReadOnlyList<string>? labelNames, Dictionary<string, EncodedSet?> sets, int seed, FinetuneOptions o, string dir)
    {
        var state = Path.Combine(dir, Checkpoint.Folder);
        var (lora, backbone, model) = Finetuner.NewModel(lm, weights, k, seed, o);
        using var _ = model;
        var projection = Finetuner.NewProjection(lm, sets["train"]!, seed);
        // The best values live in the checkpoint ("best.*"); read them back so this step is also resumable.
        var tensors = Path.Combine(AtomicFolder.Complete(state)!, Checkpoint.TensorsFile);
        using (var st = SafeTensors.Open(tensors))
            foreach (var (name, t) in Finetuner.Trainables(lora, model, k).Select(x => (x.Name, x.Tensor)).Concat(projection?.Trainables().Select(p => (p.Name, p.Tensor)) ?? [])
                .Concat(backbone?.All.Select(p => (p.Name, p.Value)) ?? []))
            {
                using var best = st.Get("best." + name);
                best.ExpectShape($"{tensors}: best.{name}", t.Shape);
                best.CopyTo(0, t.Span);
            }
        if (lora != null) Peft.Save(dir, lora, model.ScoreWeight, k, lm.Folder);
        else FullModel.Save(dir, backbone!.Weights, model.ScoreWeight, k, task, lm.Folder, lm.PadId, labelNames);
        projection?.Save(dir);
        foreach (var (split, set) in sets)
            if (set != null) PredictionsFile.From(set, Finetuner.Predict(model, set, lm.PadId, task, o.BatchSize, projection)).Save(Path.Combine(dir, PredictionsFile.FileName(split)));
        new SeedDone(seed, Peft.Fingerprint(dir)).Save(Path.Combine(dir, SeedDone.FileName));
    }

    /// <summary>
    /// Whether the seed's adapter files differ from those its predictions were computed with (done.json's
    /// fingerprint; runs that predate it have none and count as unchanged).
    /// </summary>
    /// <exception cref="SpeechTokException">The seed has no done.json: it did not finish (rerunning finetune completes it).</exception>
    public static bool AdapterChanged(string seedDir)
    {
        string path = Path.Combine(seedDir, SeedDone.FileName);
        if (!File.Exists(path) && !Directory.Exists(path))
            throw new SpeechTokException($"'{path}' does not exist: {Path.GetFileName(seedDir)} did not finish (done.json is written last); "
                + "rerun the same finetune command to complete it");
        return SeedDone.Load(path).AdapterSha256 is string h && h != Peft.Fingerprint(seedDir);
    }
}
