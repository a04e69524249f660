using SpeechTok.Audio;
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
    /// system and split.
    /// </summary>
    public static SystemResult Evaluate(string run, string split)
    {
        var meta = RunFile.Load(Path.Combine(run, RunFile.FileName));
        var task = meta.TaskKind;
        int k = meta.NumLabels;
        var seeds = meta.Hyperparameters.Seeds;
        var perSeed = new List<float[][]>();
        var scores = new List<SeedScore>();
        int[][]? labels = null;
        string[]? keys = null;
        foreach (int seed in seeds)
        {
            string path = Path.Combine(FinetuneRun.SeedDir(run, seed), PredictionsFile.FileName(split));
            if (!File.Exists(path)) throw new SpeechTokException($"'{path}' not found: seed {seed} has no predictions for split '{split}' (unfinished run, or an empty split)");
            var p = PredictionsFile.Load(path);
            if (keys != null && !keys.SequenceEqual(p.Keys)) throw new SpeechTokException($"{path}: samples differ from seed {seeds[0]}'s");
            keys ??= p.Keys;
            labels ??= p.Labels;
            if (p.Labels.Length == 0) throw new SpeechTokException($"{path}: split '{split}' is empty");
            perSeed.Add(p.Probabilities);
            var m = ClassificationMetrics.Compute(task, k, p.Labels, p.Probabilities);
            scores.Add(new SeedScore { Seed = seed, MacroF1 = m.MacroF1, MacroF1AllLabels = m.MacroF1AllLabels, F1Class1 = m.F1Class1, MicroF1 = m.MicroF1, PerLabelF1 = m.PerLabelF1 });
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
    public static int PredictSplit(string run, Manifest manifest, string split, string outPath, string? codes = null)
    {
        using var p = RunPredictor.Open(run);
        if ((manifest.Task == TaskKind.Multilabel) != (p.Task == TaskKind.Multilabel))
            throw new SpeechTokException($"{manifest.Path} is {ExperimentResults.TaskName(manifest.Task)}, the run {run} is {ExperimentResults.TaskName(p.Task)}");
        var samples = manifest.Split(split);
        if (p.Encoder != null) manifest.RequireClips();
        string? codesDir = p.NeedsCodes ? codes ?? p.Codes ?? throw new SpeechTokException($"{run}: run.json names no code store; pass --codes") : null;
        using var store = codesDir == null ? null : CodeStore.Open(codesDir);
        if (store != null && p.CodesTokenizer != null && store.TokenizerIdentity != p.CodesTokenizer)
            throw new SpeechTokException($"code store '{codesDir}' was made by {store.TokenizerIdentity}, the run's codes by {p.CodesTokenizer}");
        var probs = p.Predict(p.Encode(split, samples, store));
        var sb = new System.Text.StringBuilder();
        for (int i = 0; i < samples.Count; i++)
            sb.Append(ArtifactJson.ToNode(SamplePrediction.Of(p.Task, probs[i]) with { Key = samples[i].Key, Id = samples[i].Id, Labels = samples[i].Labels }).ToJsonString()).Append('\n');
        AtomicFile.WriteAllText(outPath, sb.ToString());
        return samples.Count;
    }
}
