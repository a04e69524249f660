using SpeechTok.Selection;
using System.Text.Json.Nodes;
using SpeechTok.Audio;
using SpeechTok.Lm.Model;
using SpeechTok.Lm.Serialization;
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

    /// <summary>Class probabilities of one sample, averaged over the run's seeds.</summary>
    public static float[] Predict(string run, string text, int[][]? codes)
    {
        string src = Path.Combine(run, FinetuneRun.RunFile);
        var meta = RunFiles.ReadJson(src);
        var task = Enum.Parse<TaskKind>(RunFiles.Get<string>(meta, "task", src), ignoreCase: true);
        int k = RunFiles.Get<int>(meta, "num_labels", src);
        bool textOnly = RunFiles.Get<bool>(meta, "text_only", src);
        var hp = meta["hyperparameters"]!.AsObject();
        SelectionFile? selection = null;
        if (!textOnly)
        {
            var s = meta["selection"] as JsonObject ?? throw new SpeechTokException($"{src}: field 'selection' is missing");
            selection = SelectionFile.FromJson(s, RunFiles.Get<string>(s, "path", src), src);
            if (codes == null) throw new SpeechTokException($"{run}: this run uses audio; pass --audio");
        }
        using var lm = LanguageModel.Load(RunFiles.Get<string>(meta, "model", src), selection);
        var serializer = new SampleSerializer(lm.Tokenizer, lm.Vocabulary, SampleSerializer.ParseMode(RunFiles.Get<string>(meta, "serialization", src)),
            RunFiles.Get<int>(meta, "max_length", src));
        var ids = serializer.Serialize(text, codes).Ids;
        var perSeed = new List<float[][]>();
        foreach (int seed in RunFiles.IntArray(hp, "seeds", src))
        {
            string dir = FinetuneRun.SeedDir(run, seed);
            using (var st = SafeTensors.Open(Path.Combine(dir, FinetuneRun.RowsFile)))
                lm.Weights.ExtendVocabulary(st.Get("embed_rows").ToF32(), st.Contains("lm_head_rows") ? st.Get("lm_head_rows").ToF32() : null);
            var lora = new LoraAdapters(lm.Config, RunFiles.Get<int>(hp, "lora_r", src), RunFiles.Get<float>(hp, "lora_alpha", src), RunFiles.Get<float>(hp, "lora_dropout", src), (ulong)seed);
            using var model = new LlamaForSequenceClassification(lm.Weights, k, lm.PadId, lora, null, (ulong)seed);
            Peft.Load(dir, lora, model.ScoreWeight, k);
            var set = new EncodedSet("predict", ["input"], [ids], [[0]], [false]);
            perSeed.Add(Finetuner.Predict(model, set, lm.PadId, task, 1));
        }
        return ClassificationMetrics.AverageProbabilities(perSeed)[0];
    }
}
