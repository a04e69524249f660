using SpeechTok.Selection;
using System.Text.Json.Nodes;
using SpeechTok.Audio;

namespace SpeechTok.Training;

/// <summary><c>speechtok evaluate</c> and <c>speechtok predict</c> over a fine-tuning run folder.</summary>
public static class Evaluation
{
    /// <summary>
    /// Per-seed metrics of <paramref name="split"/>, their mean ± std (ddof 1), probability-averaging and
    /// majority-vote bagging; merged into DIR/results.json (common schema), replacing the entry of the same
    /// system and split. A seed whose adapter files changed after fine-tuning wrote its predictions is
    /// predicted again with the adapter as written (or refused, see <see cref="AdapterConfig"/>).
    /// </summary>
    public static SystemResult Evaluate(string run, string split)
    {
        var meta = RunFiles.ReadJson(Path.Combine(run, FinetuneRun.RunFile));
        string src = Path.Combine(run, FinetuneRun.RunFile);
        var task = Enum.Parse<TaskKind>(RunFiles.Get<string>(meta, "task", src), ignoreCase: true);
        int k = RunFiles.Get<int>(meta, "num_labels", src);
        string system = RunFiles.Get<string>(meta, "system", src);
        var seeds = Seeds(meta, src);
        if (seeds.Length == 0) throw new SpeechTokException($"{src}: the run lists no seed");
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
                string path = Path.Combine(dir, $"predictions-{split}.json");
                if (!File.Exists(path)) throw new SpeechTokException($"'{path}' not found: seed {seed} has no predictions for split '{split}' (unfinished run, or an empty split)");
                var (sk, sl, sp) = FinetuneRun.ReadPredictions(path);
                if (FinetuneRun.AdapterChanged(dir))
                {
                    set ??= model.Value.Encode(split);
                    if (!set.Keys.SequenceEqual(sk)) throw new SpeechTokException($"{path}: samples differ from split '{split}' of the run's manifest");
                    sp = model.Value.Predict(seed, set);
                }
                if (keys != null && !keys.SequenceEqual(sk)) throw new SpeechTokException($"{path}: samples differ from seed {seeds[0]}'s");
                keys ??= sk;
                labels ??= sl;
                if (sl.Length == 0) throw new SpeechTokException($"{path}: split '{split}' is empty");
                perSeed.Add(sp);
                var m = ClassificationMetrics.Compute(task, k, sl, sp);
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

    /// <summary>Class probabilities of one sample, averaged over the run's seeds; each seed's adapter is read as its adapter_config.json says.</summary>
    public static float[] Predict(string run, string text, int[][]? codes)
    {
        using var rm = RunModel.Load(run);
        if (!rm.TextOnly && codes == null) throw new SpeechTokException($"{run}: this run uses audio; pass --audio");
        var set = new EncodedSet("predict", ["input"], [rm.Serializer.Serialize(text, codes).Ids], [[0]], [false]);
        var perSeed = Seeds(rm.Meta, rm.Source).Select(seed => rm.Predict(seed, set)).ToList();
        return ClassificationMetrics.AverageProbabilities(perSeed)[0];
    }

    private static int[] Seeds(JsonObject meta, string src) =>
        RunFiles.IntArray(meta["hyperparameters"] as JsonObject ?? throw new SpeechTokException($"{src}: field 'hyperparameters' is missing"), "seeds", src);
}
