using SpeechTok.Evaluation;

namespace SpeechTok.Training;

/// <summary><c>speechtok evaluate</c> and <c>speechtok predict</c> over a fine-tuning run folder (run.json + seed-S/).</summary>
public static class RunEvaluation
{
    /// <summary>
    /// Per-seed metrics of <paramref name="split"/>, their mean ± std (ddof 1), probability-averaging and
    /// majority-vote bagging; merged into DIR/results.json (common schema), replacing the entry of the same
    /// system and split. A seed whose adapter files changed after fine-tuning wrote its predictions is
    /// predicted again with the adapter as written (or refused, see <see cref="AdapterConfig"/>).
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
                    set ??= model.Value.Encode(split);
                    if (!set.Keys.SequenceEqual(p.Keys)) throw new SpeechTokException($"{path}: samples differ from split '{split}' of the run's manifest");
                    probs = model.Value.Predict(seed, set);
                }
                if (keys != null && !keys.SequenceEqual(p.Keys)) throw new SpeechTokException($"{path}: samples differ from seed {seeds[0]}'s");
                keys ??= p.Keys;
                labels ??= p.Labels;
                if (p.Labels.Length == 0) throw new SpeechTokException($"{path}: split '{split}' is empty");
                perSeed.Add(probs);
                var m = ClassificationMetrics.Compute(task, k, p.Labels, probs);
                scores.Add(new SeedScore { Seed = seed, MacroF1 = m.MacroF1, MacroF1AllLabels = m.MacroF1AllLabels, F1Class1 = m.F1Class1 });
            }
        }
        finally
        {
            if (model.IsValueCreated) model.Value.Dispose();
        }
        var bagged = ClassificationMetrics.Compute(task, k, labels!, ClassificationMetrics.AverageProbabilities(perSeed));
        double? vote = null;
        if (task != TaskKind.Multilabel)
        {
            var voteProbs = ClassificationMetrics.MajorityVote(perSeed).Select(v => { var p = new float[k]; p[v] = 1; return p; }).ToList();
            vote = ClassificationMetrics.Compute(task, k, labels!, voteProbs).MacroF1;
        }
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
    /// Class probabilities of one sample, averaged over the run's seeds (softmax; per-label sigmoid for
    /// multi-label runs). <paramref name="codes"/> is <c>codes[rvqLayer][frame]</c> from the run's speech
    /// tokenizer (null for text-only runs). Each seed's adapter is read as its adapter_config.json says
    /// (<see cref="AdapterConfig"/>). Errors name the run folder and the missing piece.
    /// </summary>
    public static float[] Predict(string run, string text, int[][]? codes)
    {
        using var rm = RunModel.Load(run);
        if (rm.Meta.Selection != null && codes == null) throw new SpeechTokException($"{run}: this run uses audio; pass --audio");
        var set = new EncodedSet("predict", ["input"], [rm.Serializer.Serialize(text, codes).Ids], [[0]], [false]);
        var perSeed = rm.Meta.Hyperparameters.Seeds.Select(seed => rm.Predict(seed, set)).ToList();
        return ClassificationMetrics.AverageProbabilities(perSeed)[0];
    }
}
