using SpeechTok.Evaluation;
using SpeechTok.Lm.Model;
using SpeechTok.Lm.Serialization;
using SpeechTok.Tensors.IO;

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
            scores.Add(new SeedScore { Seed = seed, MacroF1 = m.MacroF1, MacroF1AllLabels = m.MacroF1AllLabels, F1Class1 = m.F1Class1 });
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
    /// tokenizer (null for text-only runs). Errors name the run folder and the missing piece.
    /// </summary>
    public static float[] Predict(string run, string text, int[][]? codes)
    {
        var meta = RunFile.Load(Path.Combine(run, RunFile.FileName));
        int k = meta.NumLabels;
        if (meta.Selection != null && codes == null) throw new SpeechTokException($"{run}: this run uses audio; pass --audio");
        using var lm = LanguageModel.Load(meta.Model, meta.Selection);
        var serializer = lm.Serializer(SampleSerializer.ParseMode(meta.Serialization), meta.MaxLength);
        var ids = serializer.Serialize(text, codes).Ids;
        var hp = meta.Hyperparameters;
        var perSeed = new List<float[][]>();
        foreach (int seed in hp.Seeds)
        {
            string dir = FinetuneRun.SeedDir(run, seed);
            using (var st = SafeTensors.Open(Path.Combine(dir, FinetuneRun.RowsFile)))
                lm.Weights.ExtendVocabulary(st.Get(FinetuneRun.EmbedRowsTensor).ToF32(), st.Contains(Pretrainer.HeadRowsTensor) ? st.Get(Pretrainer.HeadRowsTensor).ToF32() : null);
            var lora = new LoraAdapters(lm.Config, hp.LoraRank, hp.LoraAlpha, hp.LoraDropout, (ulong)seed);
            using var model = new LlamaForSequenceClassification(lm.Weights, k, lm.PadId, lora, null, (ulong)seed);
            Peft.Load(dir, lora, model.ScoreWeight, k);
            var set = new EncodedSet("predict", ["input"], [ids], [[0]], [false]);
            perSeed.Add(Finetuner.Predict(model, set, lm.PadId, meta.TaskKind, 1));
        }
        return ClassificationMetrics.AverageProbabilities(perSeed)[0];
    }
}
