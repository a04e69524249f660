using SpeechTok.Evaluation;
using SpeechTok.Lm.Model;
using SpeechTok.Tensors;
using SpeechTok.Tensors.Optim;

namespace SpeechTok.Training;

/// <summary>
/// Step 3 for one seed: LoRA on q/v plus the bias-free score head at the last non-pad token; class-weighted
/// CE (balanced) or, for multi-label tasks, sigmoid + BCE. Data order, dropout masks and initialisation come
/// from seeded streams; every epoch ends with an evaluation on val and an atomic checkpoint, so a rerun of a
/// killed run continues and ends with the same numbers. The best epoch (val macro-F1; binary: F1 of class 1)
/// is restored at the end. With utterance vectors in the sets (the audio-vector system), an
/// <see cref="AudioProjection"/> trains along with LoRA and the head.
/// </summary>
public static class Finetuner
{
    public sealed record SeedResult(int Seed, double BestMetric, int BestEpoch, SeedCurves Curves);

    public static SeedResult RunSeed(LanguageModel lm, TaskKind task, int numLabels, EncodedSet train, EncodedSet val, int seed,
        FinetuneOptions o, string seedDir, Action<string>? log = null, Action<long>? afterStep = null)
    {
        if (train.Count == 0) throw new SpeechTokException("the train split is empty");
        if (val.Count == 0) throw new SpeechTokException("the val split is empty");
        int h = lm.Config.HiddenSize, epochs = o.EpochsFor(task);
        var lora = new LoraAdapters(lm.Config, o.LoraRank, o.LoraAlpha, o.LoraDropout, (ulong)seed);
        using var model = new LlamaForSequenceClassification(lm.Weights, numLabels, lm.PadId, lora, null, (ulong)seed);
        var projection = NewProjection(lm, train, seed);
        var trainables = Peft.Trainables(lora, model.ScoreWeight, model.ScoreGrad, numLabels).Concat(projection?.Trainables() ?? []).ToList();
        var ps = trainables.Select(t => Parameter.Full(t.Name, t.Tensor)).ToList();
        var grads = trainables.Select(t => t.Grad).ToList();
        var opt = new AdamW(ps, o.Lr, weightDecay: 0);
        int perEpoch = (train.Count + o.BatchSize - 1) / o.BatchSize, total = perEpoch * epochs;
        var schedule = new LinearWarmupSchedule(o.Lr, Math.Max(1, (int)(o.WarmupRatio * total)), total);
        var classWeights = task == TaskKind.Multilabel ? [] : BalancedWeights(train, numLabels);

        double bestMetric = double.NegativeInfinity;
        int bestEpoch = 0, bad = 0, startEpoch = 0;
        bool stopped = false;
        var best = ps.Select(p => p.Data.ToArray()).ToList();
        var trainCurve = new List<TrainLossPoint>();
        var valCurve = new List<ValPoint>();
        var state = Checkpoint.Load<FinetuneState>(seedDir, opt, get =>
        {
            for (int i = 0; i < ps.Count; i++) { get(ps[i].Name).CopyTo(ps[i].Data); best[i] = get("best." + ps[i].Name); }
        });
        if (state != null)
        {
            startEpoch = state.EpochsDone;
            bestMetric = state.BestMetric;
            bestEpoch = state.BestEpoch;
            bad = state.EpochsWithoutImprovement;
            stopped = state.Stopped;
            lora.Step = state.DropoutStep;
            trainCurve = [.. state.TrainLoss];
            valCurve = [.. state.Val];
            log?.Invoke($"seed {seed}: resuming after epoch {startEpoch} (step {opt.StepCount})");
        }

        for (int epoch = startEpoch; epoch < epochs && !stopped; epoch++)
        {
            var order = Rng.ForPurpose((ulong)seed, $"finetune.order.{epoch}").Permutation(train.Count);
            lora.Training = true;
            double epochLoss = 0;
            for (int s = 0; s < perEpoch; s++)
            {
                var rows = order[(s * o.BatchSize)..Math.Min(train.Count, (s + 1) * o.BatchSize)];
                var batch = Batch.Make(rows.Select(i => train.Ids[i]).ToList(), lm.PadId);
                foreach (var g in grads) Array.Clear(g);
                var inputs = projection?.Forward(batch.Ids, batch.B, batch.T, rows.Select(i => train.Vectors![i]).ToList());
                double loss;
                if (task == TaskKind.Multilabel)
                    loss = model.MultiLabelStep(batch.Ids, batch.Mask, batch.B, batch.T, MultiHot(rows.Select(i => train.Labels[i]), numLabels), inputs: inputs).Loss;
                else
                {
                    var (sum, wsum, _) = model.CrossEntropyStep(batch.Ids, batch.Mask, batch.B, batch.T, rows.Select(i => train.Labels[i][0]).ToArray(), classWeights, inputs: inputs);
                    loss = sum / wsum;
                }
                if (inputs != null) projection!.Backward(inputs);
                if (!double.IsFinite(loss))
                    throw new SpeechTokException($"fine-tuning seed {seed}: loss is {loss} at step {opt.StepCount + 1} (epoch {epoch + 1}, batch {s}: samples {string.Join(",", rows.Select(i => train.Keys[i]))})");
                for (int i = 0; i < ps.Count; i++) grads[i].AsSpan().CopyTo(ps[i].Grad.Span);
                GradClip.ClipGradNorm(ps, o.MaxGradNorm);
                opt.Lr = schedule.LrAt(opt.StepCount);
                opt.Step();
                opt.ZeroGrad();
                epochLoss += loss;
                trainCurve.Add(new TrainLossPoint(opt.StepCount, epoch + (s + 1.0) / perEpoch, loss, opt.Lr));
                afterStep?.Invoke(opt.StepCount);
            }
            lora.Training = false;
            var probs = Predict(model, val, lm.PadId, task, o.BatchSize, projection);
            var m = ClassificationMetrics.Compute(task, numLabels, val.Labels, probs);
            double metric = m.Selection;
            valCurve.Add(new ValPoint(epoch + 1, opt.StepCount, ClassificationMetrics.Loss(task, val.Labels, probs, classWeights), metric, m.MacroF1));
            log?.Invoke($"seed {seed} epoch {epoch + 1}/{epochs}: train loss {epochLoss / perEpoch:F4}, val {ClassificationMetrics.SelectionName(task)} {metric:F4}");
            if (metric > bestMetric)
            {
                bestMetric = metric; bestEpoch = epoch + 1; bad = 0;
                best = ps.Select(p => p.Data.ToArray()).ToList();
            }
            else if (++bad >= o.Patience) { stopped = true; log?.Invoke($"seed {seed}: early stop after epoch {epoch + 1}"); }

            var tensors = ps.Select(p => (p.Name, Tensor.FromData(p.Data, p.Value.Shape)))
                .Concat(ps.Select((p, i) => ("best." + p.Name, Tensor.FromData(best[i], p.Value.Shape)))).ToList();
            Checkpoint.Save(seedDir, new FinetuneState
            {
                EpochsDone = epoch + 1, BestMetric = bestMetric, BestEpoch = bestEpoch, EpochsWithoutImprovement = bad,
                Stopped = stopped, DropoutStep = lora.Step, TrainLoss = [.. trainCurve], Val = [.. valCurve],
            }, tensors, opt);
        }
        for (int i = 0; i < ps.Count; i++) best[i].CopyTo(ps[i].Data);
        return new SeedResult(seed, bestMetric, bestEpoch, new SeedCurves
        {
            Seed = seed, BestEpoch = bestEpoch, BestValMetric = bestMetric, Metric = ClassificationMetrics.SelectionName(task),
            TrainLoss = trainCurve, Val = valCurve,
        });
    }

    /// <summary>The audio-vector system's projection when <paramref name="train"/> carries utterance vectors; else null.</summary>
    internal static AudioProjection? NewProjection(LanguageModel lm, EncodedSet train, int seed)
    {
        if (train.Vectors is not { } v) return null;
        int slot = lm.Vocabulary?.VectorSlotId ?? throw new SpeechTokException("utterance vectors need the audio-vector vocabulary (the <|audio_vector|> slot)");
        return AudioProjection.Create(lm.Weights, v[0].Length, slot, (ulong)seed);
    }

    /// <summary>Probabilities [n][numLabels]: softmax, or sigmoid for multi-label tasks; <paramref name="projection"/> for sets with utterance vectors.</summary>
    public static float[][] Predict(LlamaForSequenceClassification model, EncodedSet set, int padId, TaskKind task, int batchSize, AudioProjection? projection = null)
    {
        if ((projection == null) != (set.Vectors == null))
            throw new SpeechTokException(projection == null ? "this set carries utterance vectors but no audio projection was given" : "the audio projection needs the set's utterance vectors");
        var probs = new float[set.Count][];
        int k = model.NumLabels;
        for (int s = 0; s < set.Count; s += batchSize)
        {
            int end = Math.Min(set.Count, s + batchSize);
            var batch = Batch.Make(set.Ids[s..end], padId);
            var inputs = projection?.Forward(batch.Ids, batch.B, batch.T, set.Vectors![s..end]);
            var logits = model.Logits(batch.Ids, batch.Mask, batch.B, batch.T, inputs);
            for (int i = 0; i < batch.B; i++)
                probs[s + i] = task == TaskKind.Multilabel ? Sigmoid(logits.AsSpan(i * k, k)) : Softmax(logits.AsSpan(i * k, k));
        }
        return probs;
    }

    /// <summary>sklearn compute_class_weight('balanced'): w_c = n / (K · count_c); a class absent from train is an error.</summary>
    public static float[] BalancedWeights(EncodedSet train, int numLabels)
    {
        var counts = new int[numLabels];
        foreach (var l in train.Labels)
        {
            if ((uint)l[0] >= (uint)numLabels) throw new SpeechTokException($"train label {l[0]} is outside [0, {numLabels}) (num_labels = {numLabels})");
            counts[l[0]]++;
        }
        var absent = Enumerable.Range(0, numLabels).Where(c => counts[c] == 0).ToList();
        if (absent.Count > 0) throw new SpeechTokException($"class(es) {string.Join(", ", absent)} never occur in the train split (num_labels = {numLabels}); balanced class weights are undefined");
        return counts.Select(c => (float)((double)train.Count / (numLabels * c))).ToArray();
    }

    private static float[] MultiHot(IEnumerable<int[]> labels, int k)
    {
        var rows = labels.ToList();
        var t = new float[rows.Count * k];
        for (int i = 0; i < rows.Count; i++)
            foreach (var l in rows[i])
            {
                if ((uint)l >= (uint)k) throw new SpeechTokException($"label {l} is outside [0, {k}) (num_labels = {k})");
                t[i * k + l] = 1;
            }
        return t;
    }

    internal static float[] Softmax(ReadOnlySpan<float> z)
    {
        float max = float.NegativeInfinity;
        foreach (var v in z) max = Math.Max(max, v);
        var p = new float[z.Length];
        double sum = 0;
        for (int i = 0; i < z.Length; i++) sum += p[i] = MathF.Exp(z[i] - max);
        for (int i = 0; i < z.Length; i++) p[i] = (float)(p[i] / sum);
        return p;
    }

    private static float[] Sigmoid(ReadOnlySpan<float> z)
    {
        var p = new float[z.Length];
        for (int i = 0; i < z.Length; i++) p[i] = 1f / (1f + MathF.Exp(-z[i]));
        return p;
    }
}
