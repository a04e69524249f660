using SpeechTok.Selection;
using System.Text.Json.Nodes;
using SpeechTok.Audio;
using SpeechTok.Codec.Store;
using SpeechTok.Tensors.IO;

namespace SpeechTok.Training;

/// <summary><c>speechtok evaluate</c> and <c>speechtok predict</c> over a fine-tuning run folder.</summary>
public static class Evaluation
{
    /// <summary>
    /// Per-seed metrics of <paramref name="split"/>, their mean ± std (ddof 1), probability-averaging and
    /// majority-vote bagging; merged into DIR/results.json (common schema), replacing the entry of the same
    /// system and split.
    /// </summary>
    public static SystemResult Evaluate(string run, string split)
    {
        var meta = RunFiles.ReadJson(Path.Combine(run, FinetuneRun.RunFile));
        string src = Path.Combine(run, FinetuneRun.RunFile);
        var task = Enum.Parse<TaskKind>(RunFiles.Get<string>(meta, "task", src), ignoreCase: true);
        int k = RunFiles.Get<int>(meta, "num_labels", src);
        string system = RunFiles.Get<string>(meta, "system", src);
        var seeds = RunFiles.IntArray(meta["hyperparameters"] as JsonObject ?? throw new SpeechTokException($"{src}: field 'hyperparameters' is missing"), "seeds", src);
        if (seeds.Length == 0) throw new SpeechTokException($"{src}: the run lists no seed");
        var perSeed = new List<float[][]>();
        var scores = new List<SeedScore>();
        int[][]? labels = null;
        string[]? keys = null;
        foreach (int seed in seeds)
        {
            string path = Path.Combine(FinetuneRun.SeedDir(run, seed), $"predictions-{split}.json");
            if (!File.Exists(path)) throw new SpeechTokException($"'{path}' not found: seed {seed} has no predictions for split '{split}' (unfinished run, or an empty split)");
            var (sk, sl, sp) = FinetuneRun.ReadPredictions(path);
            if (keys != null && !keys.SequenceEqual(sk)) throw new SpeechTokException($"{path}: samples differ from seed {seeds[0]}'s");
            keys ??= sk;
            labels ??= sl;
            if (sl.Length == 0) throw new SpeechTokException($"{path}: split '{split}' is empty");
            perSeed.Add(sp);
            var m = ClassificationMetrics.Compute(task, k, sl, sp);
            scores.Add(new SeedScore { Seed = seed, MacroF1 = m.MacroF1, MacroF1AllLabels = m.MacroF1AllLabels, F1Class1 = m.F1Class1, MicroF1 = m.MicroF1, PerLabelF1 = m.PerLabelF1 });
        }
        var bagged = ClassificationMetrics.Compute(task, k, labels!, ClassificationMetrics.AverageProbabilities(perSeed));
        var voteProbs = task == TaskKind.Multilabel ? ClassificationMetrics.MajorityVoteMultiLabel(perSeed)
            : ClassificationMetrics.MajorityVote(perSeed).Select(v => { var p = new float[k]; p[v] = 1; return p; }).ToArray();
        double vote = ClassificationMetrics.Compute(task, k, labels!, voteProbs).MacroF1;
        var entry = SystemResult.FromSeeds(system, scores, split) with
        {
            MacroF1Bagged = bagged.MacroF1,
            MacroF1Vote = vote,
            SelectedTokens = meta["selection"] is JsonObject sel && sel["selected_features"] is JsonArray feats ? feats.Count : null,
            ConfusionMatrix = task == TaskKind.Multilabel ? null
                : [.. Enumerable.Range(0, k).Select(i => Enumerable.Range(0, k).Select(j => bagged.Confusion[i, j]).ToArray())],
        };
        ResultsFile.Upsert(Path.Combine(run, ResultsFile.FileName), RunFiles.Get<string>(meta, "manifest", src),
            RunFiles.Get<string>(meta, "task", src), entry);
        return entry;
    }

    /// <summary>
    /// Batch prediction: every sample of <paramref name="split"/> of a manifest, one JSON object a line in manifest
    /// order: <c>{"key", "id"?, "labels", "probabilities", "prediction"}</c> with the bagged probabilities, the
    /// predicted class (argmax) or, for multi-label runs, the predicted label list (p ≥ 0.5), and the manifest's
    /// labels. Codes come from <paramref name="codes"/> (default: the run's code store). Written atomically.
    /// Returns the number of samples.
    /// </summary>
    public static int PredictSplit(string run, string manifestPath, string split, string outPath, string? audioRoot = null, string? codes = null)
    {
        using var p = RunPredictor.Open(run);
        var manifest = Manifest.Load(manifestPath, audioRoot, p.NumLabels);
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
        {
            var pred = p.Decide(probs[i]);
            sb.Append(new JsonObject
            {
                ["key"] = samples[i].Key, ["id"] = samples[i].Id, ["labels"] = RunFiles.ToJson(samples[i].Labels),
                ["probabilities"] = RunFiles.ToJson(probs[i].Select(v => (double)v)),
                ["prediction"] = p.Task == TaskKind.Multilabel ? RunFiles.ToJson(pred) : pred[0],
            }.ToJsonString()).Append('\n');
        }
        AtomicFile.WriteAllText(outPath, sb.ToString());
        return samples.Count;
    }
}
