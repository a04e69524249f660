using SpeechTok.Audio;
using SpeechTok.Codec;
using SpeechTok.Codec.Store;
using SpeechTok.Evaluation;
using SpeechTok.IO;

namespace SpeechTok.Training;

/// <summary><c>speechtok evaluate</c> and <c>speechtok predict</c> over a fine-tuning run folder (run.json + seed-S/).</summary>
public static class RunEvaluation
{
    /// <summary>
    /// Per-seed metrics of <paramref name="split"/>, their mean ± std (ddof 1), probability-averaging and
    /// majority-vote bagging; merged into DIR/results.json (common schema), replacing the entry of the same
    /// system and split, with the class names of the manifest's sidecar when it has one (<c>class_names</c>). A seed whose adapter files changed after fine-tuning wrote its predictions is
    /// predicted again with the adapter as written (or refused, see <see cref="AdapterConfig"/>); <paramref name="log"/>
    /// then gets one line per such seed, naming its files, and the code store's warning if the split's clips are missing (codes matched by file name only).
    /// </summary>
    public static SystemResult Evaluate(string run, string split, Action<string>? log = null)
    {
        var meta = RunFile.LoadFromRun(run);
        var task = meta.TaskKind;
        int k = meta.NumLabels;
        var seeds = meta.Hyperparameters.Seeds;
        var perSeed = new List<float[][]>();
        var scores = new List<SeedScore>();
        int[][]? labels = null;
        string[]? keys = null;
        string? first = null; // the file the labels and keys come from
        string runJson = Path.Combine(run, RunFile.FileName);
        var model = new Lazy<RunModel>(() => RunModel.Load(run)); // only when an adapter changed since its predictions
        EncodedSet? set = null;
        try
        {
            foreach (int seed in seeds)
            {
                string dir = FinetuneRun.SeedDir(run, seed);
                string path = Path.Combine(dir, PredictionsFile.FileName(split));
                if (!File.Exists(path)) throw new SpeechTokException($"'{path}' not found: seed {seed} has no predictions for split '{split}' (unfinished run, or an empty split)");
                var p = PredictionsFile.Load(path, task, k, $"{runJson} num_labels");
                var probs = p.Probabilities;
                if (FinetuneRun.AdapterChanged(dir))
                {
                    // Documented, but the scores then differ from those fine-tuning wrote: say so, once per seed.
                    var files = Peft.FingerprintFiles(dir);
                    log?.Invoke($"seed {seed}: {string.Join(", ", files.Take(files.Count - 1))}{(files.Count > 1 ? " or " : "")}{files[^1]} changed since its predictions were written "
                        + $"({Path.Combine(dir, SeedDone.FileName)} adapter_sha256); predicting split '{split}' again with the files as they are");
                    set ??= model.Value.Encode(split, log);
                    if (!set.Keys.SequenceEqual(p.Keys)) throw new SpeechTokException($"{path}: samples differ from split '{split}' of the run's manifest");
                    probs = model.Value.Predict(seed, set);
                }
                if (keys != null && !keys.SequenceEqual(p.Keys)) throw new SpeechTokException($"{path}: samples differ from those of {first}");
                // Bagging scores the seeds' mean against one set of labels: a seed scored against other labels is another test set.
                if (labels != null && FirstDifference(labels, p.Labels) is int d)
                    throw new SpeechTokException($"{path}: labels[{d}] (sample '{p.Keys[d]}') is [{string.Join(", ", p.Labels[d])}], but [{string.Join(", ", labels[d])}] in {first}; "
                        + "the seeds of a run predict the same labelled samples");
                keys ??= p.Keys;
                labels ??= p.Labels;
                first ??= path;
                if (p.Labels.Length == 0) throw new SpeechTokException($"{path}: split '{split}' is empty");
                perSeed.Add(probs);
                var m = ClassificationMetrics.Compute(task, k, p.Labels, probs);
                scores.Add(new SeedScore { Seed = seed, MacroF1 = m.MacroF1, MacroF1AllLabels = m.MacroF1AllLabels, F1Class1 = m.F1Class1, MicroF1 = m.MicroF1, PerLabelF1 = m.PerLabelF1, Accuracy = m.Accuracy });
            }
        }
        finally
        {
            if (model.IsValueCreated) model.Value.Dispose();
        }
        var bagged = ClassificationMetrics.Compute(task, k, labels!, ClassificationMetrics.AverageProbabilities(perSeed));
        var voteProbs = task == TaskKind.Multilabel ? ClassificationMetrics.MajorityVoteMultiLabel(perSeed)
            : ClassificationMetrics.MajorityVote(perSeed).Select(v => { var p = new float[k]; p[v] = 1; return p; }).ToArray();
        double vote = ClassificationMetrics.Compute(task, k, labels!, voteProbs).MacroF1;
        var entry = SystemResult.FromSeeds(meta.System, scores, split) with
        {
            MacroF1Bagged = bagged.MacroF1,
            AccuracyBagged = bagged.Accuracy,
            MacroF1Vote = vote,
            SelectedTokens = meta.Selection?.Features.Length,
            ConfusionMatrix = bagged.Confusion is { } cm ? [.. Enumerable.Range(0, k).Select(i => Enumerable.Range(0, k).Select(j => cm[i, j]).ToArray())] : null,
        };
        var names = LabelNames(run, meta);
        ExperimentResults.Upsert(Path.Combine(run, ExperimentResults.FileName), meta.Manifest, meta.ManifestSha256, meta.Task, entry, names);
        return entry;
    }

    /// <summary>The first sample whose label set differs between two files of one split (of the same samples), or null.</summary>
    private static int? FirstDifference(int[][] a, int[][] b)
    {
        for (int i = 0; i < a.Length; i++)
            if (!a[i].Order().SequenceEqual(b[i].Order())) return i;
        return null;
    }

    /// <summary>
    /// The names of the run's classes: run.json's <c>class_names</c> (the sidecar's at fine-tuning), else, for runs
    /// fine-tuned before it was recorded or without a sidecar then, the sidecar of the manifest it was fine-tuned on
    /// (<see cref="Manifest.LabelNamesPath"/>), else null. The manifest may have moved since (evaluate reads stored
    /// predictions), so none is no error.
    /// </summary>
    /// <exception cref="SpeechTokException">A sidecar with another count than run.json's num_labels, or a malformed one.</exception>
    public static IReadOnlyList<string>? LabelNames(string run, RunFile meta) =>
        meta.ClassNames ?? Manifest.ReadLabelNames(meta.Manifest, meta.NumLabels, $"{Path.Combine(run, RunFile.FileName)} num_labels");

    /// <summary>
    /// Batch prediction: every sample of <paramref name="split"/> of <paramref name="manifest"/>, one JSON object a line
    /// in manifest order (<see cref="SamplePrediction"/>: key, id, the manifest's labels (none for unlabelled samples, see
    /// <see cref="Manifest.LoadToPredict"/>), the bagged probabilities and the predicted class, or for multi-label runs the
    /// predicted labels, with their names when known: <see cref="LabelNames"/>). A labelled split must be of the run's kind (single- or multi-label). Codes come from <paramref name="codes"/>
    /// (default: the run's code store); audio-vector runs read the clips. Written atomically. Returns the number of samples.
    /// Refused before the model loads: an <paramref name="outPath"/> that is the manifest or its class-name file, or lies in the
    /// run folder or its code store (<see cref="OutputPaths.RequireApart"/>); a manifest whose class names differ from the run's.
    /// Samples whose audio tokens the run's max length cuts are predicted from what is kept, with a warning to <paramref name="log"/>.
    /// </summary>
    public static int PredictSplit(string run, Manifest manifest, string split, string outPath, string? codes = null, Action<string>? log = null)
    {
        outPath = OutputPaths.RequireFile(outPath, "predictions.jsonl");
        Manifest.RequireApart(outPath, manifest.Path);
        OutputPaths.RequireApart(outPath, run, "the run folder", folder: true);
        // The manifest's kind is checked from run.json, before the model loads (minutes for a large one).
        var meta = RunFile.LoadFromRun(run);
        if (meta.Selection != null && (codes ?? meta.Codes) is { } storeDir) OutputPaths.RequireApart(outPath, storeDir, "the code store", folder: true);
        var task = meta.TaskKind;
        var samples = manifest.Split(split);
        bool labelled = samples[0].Labelled; // the same for every sample of a split
        if (labelled && (manifest.Task == TaskKind.Multilabel) != (task == TaskKind.Multilabel))
            throw new SpeechTokException(manifest.Task == TaskKind.Multilabel
                ? $"{manifest.Path} has a 'labels' column (multi-label), but the run {run} is {meta.Task} ({meta.NumLabels} classes); predict it with a multi-label run, or drop the column to predict it unlabelled"
                : $"{manifest.Path} has a 'label' column (single-label), but the run {run} is multilabel ({meta.NumLabels} labels); predict it with a single-label run, or drop the column to predict it unlabelled");
        // The run's class names, else those of the predicted manifest (its sidecar has the run's count: LoadToPredict
        // checks it); read before the model runs, so that a bad sidecar fails before minutes of compute.
        var runNames = LabelNames(run, meta);
        // A sidecar naming the classes in another order numbers the manifest's labels otherwise than the run's
        // predictions: the output would mix the two numberings.
        if (runNames != null && manifest.LabelNames is { } given && !given.SequenceEqual(runNames))
            throw new SpeechTokException($"{Manifest.LabelNamesPath(manifest.Path)}: the manifest's classes are {string.Join(", ", given)}, but the run's are "
                + $"{string.Join(", ", runNames)} ({(meta.ClassNames != null ? $"{Path.Combine(run, RunFile.FileName)} class_names" : Manifest.LabelNamesPath(meta.Manifest))}); "
                + "number the manifest's labels as the run does and list its names in that order, or remove the file to use the run's names");
        var names = runNames ?? manifest.LabelNames;
        using var rm = RunModel.Load(run);
        if (rm.Encoder != null) manifest.RequireClips();
        string? codesDir = rm.Serializer.NeedsCodes ? codes ?? rm.Meta.Codes ?? throw new SpeechTokException($"{run}: run.json names no code store; pass --codes") : null;
        using var store = codesDir == null ? null : CodeStore.Open(codesDir);
        if (store != null && rm.Meta.CodesTokenizer is { } made && store.TokenizerIdentity != made)
            throw new SpeechTokException($"code store '{codesDir}' was made by {store.TokenizerIdentity}, the run's codes by {made}");
        var encoded = rm.Encode(split, samples, store);
        if (store?.UnverifiedWarning is { } unverified) log?.Invoke(unverified);
        var probs = PredictBagged(rm, encoded, log);
        var sb = new System.Text.StringBuilder();
        for (int i = 0; i < samples.Count; i++)
            sb.Append(ArtifactJson.ToNode(SamplePrediction.Of(task, probs[i], names) with { Key = samples[i].Key, Id = samples[i].Id, Labels = labelled ? samples[i].Labels : null }).ToJsonString()).Append('\n');
        AtomicFile.WriteAllText(outPath, sb.ToString());
        return samples.Count;
    }

    /// <summary>
    /// Class probabilities [K] of one sample, averaged over the run's seeds (softmax; per-label sigmoid for multi-label
    /// runs): the batch form below with one sample. <paramref name="codes"/> is <c>codes[rvqLayer][frame]</c> from the
    /// run's speech tokenizer (runs with audio tokens), <paramref name="wav"/> the 16 kHz mono clip (audio-vector runs);
    /// both null for text-only runs. Errors and the warning as the batch form's.
    /// </summary>
    public static float[] Predict(string run, string text, int[][]? codes, float[]? wav = null, Action<string>? log = null) =>
        Predict(run, [text], codes == null ? null : [codes], wav == null ? null : [wav], "'codes'", "'wav'", log)[0];

    /// <summary>
    /// Class probabilities [n][K] of in-memory samples, in input order, averaged over the run's seeds (softmax; per-label
    /// sigmoid for multi-label runs); the model is loaded once for the batch, which is predicted in batches of the run's
    /// batch size as <c>evaluate</c> does. <paramref name="texts"/>: n ≥ 1 transcripts. <paramref name="codes"/>: for runs
    /// with audio tokens, n arrays <c>[rvqLayer][frame]</c> of codes from the speech tokenizer that made the run's code
    /// store, else null. <paramref name="wavs"/>: for audio-vector runs, n 16 kHz mono clips (samples in −1..1), else null.
    /// Each seed's adapter is read as its adapter_config.json says (<see cref="AdapterConfig"/>).
    /// Errors (<see cref="SpeechTokException"/>), before the model loads: an input the run does not take, or a missing one,
    /// naming run.json and the argument; counts that differ from the texts'; an empty or null clip, naming its sample. Then:
    /// a run that is unfinished or whose model folder changed (<see cref="ModelResolver.StampMatches"/>); codes with too few
    /// RVQ layers, frame counts that differ between layers, or a code outside the codebook, naming the sample's index.
    /// Which tokenizer made the codes cannot be seen in them: <see cref="PredictFiles"/> is the checked path from a clip.
    /// Samples whose audio tokens the run's max length cuts are predicted from what is kept, with a warning to <paramref name="log"/>.
    /// </summary>
    public static float[][] Predict(string run, IReadOnlyList<string> texts, IReadOnlyList<int[][]>? codes = null, IReadOnlyList<float[]>? wavs = null,
        Action<string>? log = null) =>
        Predict(run, texts, codes, wavs, "'codes'", "'wavs'", log);

    /// <summary>The checks and prediction of the public forms, naming the audio inputs as their caller calls them.</summary>
    private static float[][] Predict(string run, IReadOnlyList<string> texts, IReadOnlyList<int[][]>? codes, IReadOnlyList<float[]>? wavs, string codesName, string audioName,
        Action<string>? log)
    {
        ArgumentNullException.ThrowIfNull(texts);
        string runJson = Path.Combine(run, RunFile.FileName);
        RunFile.LoadFromRun(run).RequireSampleInputs(runJson, codes != null, wavs != null, codesName, audioName);
        if (texts.Count == 0) throw new SpeechTokException("no sample to predict: the texts are empty");
        foreach (var (name, count) in new[] { (codesName, codes?.Count), (audioName, wavs?.Count) })
            if (count is int n && n != texts.Count) throw new SpeechTokException($"{texts.Count} texts but {n} items in {name}");
        for (int i = 0; i < wavs?.Count; i++)
            if (wavs[i] is not { Length: > 0 }) throw new SpeechTokException($"sample {i}: {audioName} holds no audio");
        using var rm = RunModel.Load(run);
        return PredictBagged(rm, rm.Encode(texts, codes, wavs), log);
    }

    /// <summary>Every form of prediction ends here, so that each warns when the run's max length cut audio tokens (the
    /// one-sample form truncated them silently), or the samples of a run without audio tokens.</summary>
    private static float[][] PredictBagged(RunModel rm, EncodedSet encoded, Action<string>? log)
    {
        encoded.WarnAudioCut($"the run's max_length {rm.Meta.MaxLength} ({RunFile.FileName})", log);
        encoded.WarnVectorSlotCut($"the run's max_length {rm.Meta.MaxLength} ({RunFile.FileName})", log,
            all => $"their predictions read the text only (fine-tune with a max length of {all} to keep every slot)");
        encoded.WarnCut($"the run's max_length {rm.Meta.MaxLength} ({RunFile.FileName})", log,
            all => $"their predictions read only the tokens kept (fine-tune with a max length of {all} to keep them all)");
        return rm.PredictBagged(encoded);
    }

    /// <summary>
    /// One sample from files, as <c>speechtok predict --text --audio --tokenizer</c> does it: the clip (WAV, or any format
    /// ffmpeg reads) is loaded as the run's clips were read (run.json's <c>codes_mixdown</c>, or <c>audio_mixdown</c> for audio-vector runs) and, for runs with audio
    /// tokens, encoded by <paramref name="tokenizerDir"/>, which must be the speech tokenizer that made the run's codes
    /// (its identity is checked against run.json's <c>codes_tokenizer</c>). Text-only runs take no clip; audio-vector
    /// runs take the clip and no tokenizer: the same checks as <see cref="Predict(string, string, int[][], float[], Action{string})"/>,
    /// made before the clip is read and naming the options, and its warning to <paramref name="log"/>. Returns its bagged probabilities [K].
    /// </summary>
    public static float[] PredictFiles(string run, string text, string? audioPath, string? tokenizerDir, Action<string>? log = null)
    {
        string runJson = Path.Combine(run, RunFile.FileName);
        var meta = RunFile.LoadFromRun(run);
        bool tokens = meta.Selection != null;
        if (!tokens && tokenizerDir != null) throw new SpeechTokException($"{runJson}: the run is {meta.InputKind}, so --tokenizer is not used; drop it");
        meta.RequireSampleInputs(runJson, codes: tokens && audioPath != null, audio: !tokens && audioPath != null, "--audio and --tokenizer", "--audio");
        float[] Clip(string path) => AudioLoader.Load(path, meta.ClipsMixedDown);
        if (!tokens) return Predict(run, text, null, audioPath is null ? null : Clip(audioPath), log);
        var tokDir = tokenizerDir ?? throw new SpeechTokException("--audio needs --tokenizer DIR, the speech tokenizer that made the run's codes"
            + (meta.Codes is { } store && Directory.Exists(Path.Combine(store, TokenizerLoader.BuiltinSubfolder))
                ? $" (its code store holds the one it fitted: --tokenizer {Path.Combine(store, TokenizerLoader.BuiltinSubfolder)})"
                : meta.CodesTokenizer is { } id ? $" ({id})" : ""));
        if (tokDir == TokenizerLoader.Builtin && !Directory.Exists(tokDir))
            throw new SpeechTokException($"--tokenizer builtin: give the folder of the built-in tokenizer fitted for the run's codes (`tokenize --tokenizer builtin` wrote it to {Path.Combine(meta.Codes ?? "CODES", TokenizerLoader.BuiltinSubfolder)})");
        string identity = TokenizerLoader.Identity(tokDir);
        if (meta.CodesTokenizer != null && meta.CodesTokenizer != identity)
            throw new SpeechTokException($"tokenizer '{tokDir}' ({identity}) is not the one of the run's codes ({meta.CodesTokenizer})");
        return Predict(run, text, TokenizerLoader.Load(tokDir).Encode(Clip(audioPath!)), null, log); // the checks above: a clip is given
    }
}
