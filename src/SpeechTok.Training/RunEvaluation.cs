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
    /// system and split. A seed whose adapter files changed after fine-tuning wrote its predictions is
    /// predicted again with the adapter as written (or refused, see <see cref="AdapterConfig"/>); <paramref name="log"/>
    /// then gets the code store's warning if the split's clips are missing (codes matched by file name only).
    /// </summary>
    public static SystemResult Evaluate(string run, string split, Action<string>? log = null)
    {
        var meta = RunFile.Load(Path.Combine(run, RunFile.FileName));
        var task = meta.TaskKind;
        int k = meta.NumLabels;
        var seeds = meta.Hyperparameters.Seeds;
        var perSeed = new List<float[][]>();
        var scores = new List<SeedScore>();
        int[][]? labels = null;
        string[]? keys = null;
        var model = new Lazy<RunModel>(() => RunModel.Load(run)); // only when an adapter changed since its predictions
        EncodedSet? set = null;
        try
        {
            foreach (int seed in seeds)
            {
                string dir = FinetuneRun.SeedDir(run, seed);
                string path = Path.Combine(dir, PredictionsFile.FileName(split));
                if (!File.Exists(path)) throw new SpeechTokException($"'{path}' not found: seed {seed} has no predictions for split '{split}' (unfinished run, or an empty split)");
                var p = PredictionsFile.Load(path);
                var probs = p.Probabilities;
                if (FinetuneRun.AdapterChanged(dir))
                {
                    set ??= model.Value.Encode(split, log);
                    if (!set.Keys.SequenceEqual(p.Keys)) throw new SpeechTokException($"{path}: samples differ from split '{split}' of the run's manifest");
                    probs = model.Value.Predict(seed, set);
                }
                if (keys != null && !keys.SequenceEqual(p.Keys)) throw new SpeechTokException($"{path}: samples differ from seed {seeds[0]}'s");
                keys ??= p.Keys;
                labels ??= p.Labels;
                if (p.Labels.Length == 0) throw new SpeechTokException($"{path}: split '{split}' is empty");
                perSeed.Add(probs);
                var m = ClassificationMetrics.Compute(task, k, p.Labels, probs);
                scores.Add(new SeedScore { Seed = seed, MacroF1 = m.MacroF1, MacroF1AllLabels = m.MacroF1AllLabels, F1Class1 = m.F1Class1, MicroF1 = m.MicroF1, PerLabelF1 = m.PerLabelF1 });
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
            MacroF1Vote = vote,
            SelectedTokens = meta.Selection?.Features.Length,
            ConfusionMatrix = task == TaskKind.Multilabel ? null
                : [.. Enumerable.Range(0, k).Select(i => Enumerable.Range(0, k).Select(j => bagged.Confusion[i, j]).ToArray())],
        };
        ExperimentResults.Upsert(Path.Combine(run, ExperimentResults.FileName), meta.Manifest, meta.Task, entry);
        return entry;
    }

    /// <summary>
    /// Batch prediction: every sample of <paramref name="split"/> of <paramref name="manifest"/>, one JSON object a line
    /// in manifest order (<see cref="SamplePrediction"/>: key, id, the manifest's labels, the bagged probabilities and
    /// the predicted class, or for multi-label runs the predicted labels). Codes come from <paramref name="codes"/>
    /// (default: the run's code store); audio-vector runs read the clips. Written atomically. Returns the number of samples.
    /// </summary>
    public static int PredictSplit(string run, Manifest manifest, string split, string outPath, string? codes = null, Action<string>? log = null)
    {
        using var rm = RunModel.Load(run);
        var task = rm.Meta.TaskKind;
        if ((manifest.Task == TaskKind.Multilabel) != (task == TaskKind.Multilabel))
            throw new SpeechTokException($"{manifest.Path} is {ExperimentResults.TaskName(manifest.Task)}, the run {run} is {rm.Meta.Task}");
        var samples = manifest.Split(split);
        if (rm.Encoder != null) manifest.RequireClips();
        string? codesDir = rm.Serializer.NeedsCodes ? codes ?? rm.Meta.Codes ?? throw new SpeechTokException($"{run}: run.json names no code store; pass --codes") : null;
        using var store = codesDir == null ? null : CodeStore.Open(codesDir);
        if (store != null && rm.Meta.CodesTokenizer is { } made && store.TokenizerIdentity != made)
            throw new SpeechTokException($"code store '{codesDir}' was made by {store.TokenizerIdentity}, the run's codes by {made}");
        var encoded = rm.Encode(split, samples, store);
        if (store?.UnverifiedWarning is { } unverified) log?.Invoke(unverified);
        var probs = rm.PredictBagged(encoded);
        var sb = new System.Text.StringBuilder();
        for (int i = 0; i < samples.Count; i++)
            sb.Append(ArtifactJson.ToNode(SamplePrediction.Of(task, probs[i]) with { Key = samples[i].Key, Id = samples[i].Id, Labels = samples[i].Labels }).ToJsonString()).Append('\n');
        AtomicFile.WriteAllText(outPath, sb.ToString());
        return samples.Count;
    }

    /// <summary>
    /// Class probabilities of one sample, averaged over the run's seeds (softmax; per-label sigmoid for
    /// multi-label runs). <paramref name="codes"/> is <c>codes[rvqLayer][frame]</c> from the run's speech
    /// tokenizer (runs with audio tokens), <paramref name="wav"/> the 16 kHz clip (audio-vector runs); both null for
    /// text-only runs. Each seed's adapter is read as its adapter_config.json says (<see cref="AdapterConfig"/>).
    /// Errors name the run folder and the missing piece. The codes are checked for layer count, frame count and
    /// code range only: which tokenizer made them cannot be seen in them, so <see cref="PredictFiles"/> is the
    /// checked path from a clip.
    /// </summary>
    public static float[] Predict(string run, string text, int[][]? codes, float[]? wav = null)
    {
        using var rm = RunModel.Load(run);
        return rm.PredictBagged(rm.EncodeOne(text, codes, wav))[0];
    }

    /// <summary>
    /// One sample from files, as <c>speechtok predict --text --audio --tokenizer</c> does it: the clip (WAV, or any format
    /// ffmpeg reads) is loaded as the run's codes were made (run.json's <c>codes_mixdown</c>) and, for runs with audio
    /// tokens, encoded by <paramref name="tokenizerDir"/>, which must be the speech tokenizer that made the run's codes
    /// (its identity is checked against run.json's <c>codes_tokenizer</c>). Text-only runs take no clip; audio-vector
    /// runs take the clip and no tokenizer. Returns <see cref="Predict"/>'s bagged probabilities.
    /// </summary>
    public static float[] PredictFiles(string run, string text, string? audioPath, string? tokenizerDir)
    {
        string runJson = Path.Combine(run, RunFile.FileName);
        var meta = RunFile.Load(runJson);
        if (meta.TextOnly && audioPath != null) throw new SpeechTokException($"{runJson}: the run is text-only, so --audio is not used; drop it");
        if (meta.Selection == null && tokenizerDir != null)
            throw new SpeechTokException($"{runJson}: the run is {(meta.TextOnly ? "text-only" : "an audio-vector run (it reads the clip itself)")}, so --tokenizer is not used; drop it");
        float[]? wav = audioPath is null ? null : AudioLoader.Load(audioPath, meta.CodesMixdown ?? false);
        int[][]? codes = null;
        if (wav != null && meta.Selection != null)
        {
            var tokDir = tokenizerDir ?? throw new SpeechTokException("--audio needs --tokenizer DIR (the speech tokenizer of the run's code store)");
            if (tokDir == TokenizerLoader.Builtin && !Directory.Exists(tokDir))
                throw new SpeechTokException($"--tokenizer builtin: give the folder of the built-in tokenizer fitted for the run's codes (`tokenize --tokenizer builtin` wrote it to {Path.Combine(meta.Codes ?? "CODES", TokenizerLoader.BuiltinSubfolder)})");
            string identity = TokenizerLoader.Identity(tokDir);
            if (meta.CodesTokenizer != null && meta.CodesTokenizer != identity)
                throw new SpeechTokException($"tokenizer '{tokDir}' ({identity}) is not the one of the run's codes ({meta.CodesTokenizer})");
            codes = TokenizerLoader.Load(tokDir).Encode(wav);
        }
        return Predict(run, text, codes, wav);
    }
}
