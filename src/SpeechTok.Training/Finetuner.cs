using SpeechTok.Evaluation;
using SpeechTok.Lm.Model;
using SpeechTok.Tensors;
using SpeechTok.Tensors.Optim;

namespace SpeechTok.Training;

/// <summary>
/// Step 3 for one seed: LoRA (on q/v unless <see cref="FinetuneOptions.LoraTargetModules"/> says otherwise), or with
/// <see cref="FinetuneOptions.FinetuningType"/> full every weight of a per-seed copy of the backbone, plus the bias-free
/// score head at the last non-pad token; class-weighted
/// CE (balanced) or, for multi-label tasks, sigmoid + BCE. Data order, dropout masks and initialisation come
/// from seeded streams; every epoch ends with an evaluation on val and an atomic checkpoint, so a rerun of a
/// killed run continues and ends with the same numbers. The best epoch (val macro-F1; binary: F1 of class 1; or <see cref="FinetuneOptions.MetricForBestModel"/>)
/// is restored at the end. With utterance vectors in the sets (the audio-vector system), an
/// <see cref="AudioProjection"/> trains along with LoRA and the head.
/// </summary>
public static class Finetuner
{
    public sealed record SeedResult(int Seed, double BestMetric, int BestEpoch, SeedCurves Curves);

    /// <param name="weights">the backbone with this seed's appended rows (<see cref="LlamaWeights.WithVocabularyExtension"/> of <paramref name="lm"/>'s).</param>
    /// <param name="progress">after every step, before <paramref name="afterStep"/>: this seed's epoch, step, loss, speed and ETA.</param>
    public static SeedResult RunSeed(LanguageModel lm, LlamaWeights weights, TaskKind task, int numLabels, EncodedSet train, EncodedSet val, int seed,
        FinetuneOptions o, string seedDir, Action<string>? log = null, Action<long>? afterStep = null, Action<TrainingProgress>? progress = null)
    {
        if (train.Count == 0) throw new SpeechTokException("the train split is empty");
        if (val.Count == 0) throw new SpeechTokException("the val split is empty");
        int h = lm.Config.HiddenSize, epochs = o.EpochsFor(task);
        var (lora, backbone, model) = NewModel(lm, weights, numLabels, seed, o);
        using var _ = model;
        var projection = NewProjection(lm, train, seed);
        var trainables = Trainables(lora, model, numLabels).Concat(projection?.Trainables() ?? []).ToList();
        var ps = trainables.Select(t => Parameter.Full(t.Name, t.Tensor)).ToList();
        var grads = trainables.Select(t => t.Grad).ToList();
        // The backbone's parameters take their gradients straight from the backward pass (no copy).
        var opt = new AdamW(ps.Concat(backbone?.All ?? []), o.Lr, weightDecay: o.WeightDecay);
        var all = opt.Parameters;
        int perEpoch = o.StepsPerEpoch(train.Count), total = o.TotalSteps(train.Count, task);
        var schedule = LinearWarmupSchedule.FromRatio(o.Lr, o.WarmupRatio, total);
        var classWeights = task == TaskKind.Multilabel ? [] : BalancedWeights(train, numLabels);

        var trainCurve = new List<TrainLossPoint>();
        var valCurve = new List<ValPoint>();
        int[] order = [];
        var meter = new StepMeter(total, seed, perEpoch, epochs);
        var end = TrainingLoop.Run(seedDir, new TrainingLoopSpec<FinetuneState>
        {
            Optimizer = opt, TotalSteps = total, MaxGradNorm = o.MaxGradNorm, LrAt = s => schedule.LrAt(s),
            LossAndGradients = step =>
            {
                int epoch = (int)(step / perEpoch), s = (int)(step % perEpoch);
                if (s == 0)
                {
                    order = Rng.ForPurpose((ulong)seed, $"finetune.order.{epoch}").Permutation(train.Count);
                    if (lora != null) lora.Training = true;
                }
                var rows = order[(s * o.BatchSize)..Math.Min(train.Count, (s + 1) * o.BatchSize)];
                meter.StepStarted(rows.Sum(i => (long)train.Ids[i].Length));
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
                    throw new SpeechTokException($"fine-tuning seed {seed}: loss is {loss} at step {step + 1} (epoch {epoch + 1}, batch {s}: samples {string.Join(",", rows.Select(i => train.Keys[i]))})");
                for (int i = 0; i < ps.Count; i++) grads[i].AsSpan().CopyTo(ps[i].Grad.Span);
                return loss;
            },
            Started = _ => meter.Start(),
            Trained = (step, loss, norm) =>
            {
                meter.Trained(step, loss, opt.Lr, norm);
                trainCurve.Add(new TrainLossPoint(step, (step - 1) / perEpoch + ((step - 1) % perEpoch + 1.0) / perEpoch, loss, opt.Lr));
            },
            EvalDue = step => step % perEpoch == 0,
            Evaluate = step =>
            {
                if (lora != null) lora.Training = false;
                var probs = Predict(model, val, lm.PadId, task, o.BatchSize, projection);
                var m = ClassificationMetrics.Compute(task, numLabels, val.Labels, probs, o.MetricForBestModel);
                int epoch = (int)(step / perEpoch);
                valCurve.Add(new ValPoint(epoch, step, ClassificationMetrics.Loss(task, val.Labels, probs, classWeights), m.Selection, m.MacroF1));
                log?.Invoke($"seed {seed} epoch {epoch}/{epochs}: train loss {meter.EpochLoss:F4}, val {ClassificationMetrics.SelectionName(task, o.MetricForBestModel)} {m.Selection:F4}");
                return m.Selection;
            },
            Selection = ModelSelection.Maximize, Patience = o.Patience,
            EarlyStop = st => log?.Invoke($"seed {seed}: early stop after epoch {st.Step / perEpoch}"),
            CheckpointDue = step => step % perEpoch == 0,
            State = st => new FinetuneState
            {
                EpochsDone = (int)(st.Step / perEpoch), BestMetric = st.BestValue, BestEpoch = (int)(st.BestStep / perEpoch), EpochsWithoutImprovement = st.BadEvals,
                Stopped = st.Stopped, DropoutStep = lora?.Step ?? 0, TrainLoss = [.. trainCurve], Val = [.. valCurve],
            },
            CheckpointTensors = best => all.Select(p => (p.Name, Tensor.FromData(p.Data, p.Value.Shape)))
                .Concat(all.Select((p, i) => ("best." + p.Name, Tensor.FromData(best![i], p.Value.Shape)))).ToList(),
            Restore = get =>
            {
                foreach (var p in all) get(p.Name, p.Data.Length).CopyTo(p.Data);
                return all.Select(p => get("best." + p.Name, p.Data.Length)).ToList();
            },
            Resume = state =>
            {
                if (lora != null) lora.Step = state.DropoutStep;
                trainCurve = [.. state.TrainLoss];
                valCurve = [.. state.Val];
                log?.Invoke(state.Stopped || opt.StepCount >= total // a crash between the last checkpoint and done.json
                    ? $"seed {seed}: training already finished ({(state.Stopped ? "stopped early" : "every epoch done")}: epoch {state.EpochsDone}, step {opt.StepCount}): nothing left to train; its best epoch is evaluated again"
                    : $"seed {seed}: resuming after epoch {state.EpochsDone} (step {opt.StepCount})");
                return new TrainingStatus(opt.StepCount, state.BestMetric, (long)state.BestEpoch * perEpoch, state.EpochsWithoutImprovement, state.Stopped);
            },
            AfterStep = step =>
            {
                progress?.Invoke(meter.Progress());
                afterStep?.Invoke(step);
            },
        });
        for (int i = 0; i < all.Count; i++) end.Best![i].CopyTo(all[i].Data);
        int bestEpoch = (int)(end.Status.BestStep / perEpoch);
        return new SeedResult(seed, end.Status.BestValue, bestEpoch, new SeedCurves
        {
            Seed = seed, BestEpoch = bestEpoch, BestValMetric = end.Status.BestValue, Metric = ClassificationMetrics.SelectionName(task, o.MetricForBestModel),
            TrainLoss = trainCurve, Val = valCurve,
        });
    }

    /// <summary>
    /// The classifier of one seed: LoRA adapters on the shared (frozen) weights, or, for full fine-tuning, a
    /// writable F32 copy of the weights whose every checkpoint tensor trains (appended rows stay frozen).
    /// </summary>
    internal static (LoraAdapters? Lora, LlamaParameters? Backbone, LlamaForSequenceClassification Model) NewModel(LanguageModel lm, LlamaWeights weights, int numLabels, int seed,
        FinetuneOptions o)
    {
        if (o.FinetuningType == FinetuneOptions.Lora)
        {
            var lora = new LoraAdapters(lm.Config, o.LoraRank, o.LoraAlpha, o.LoraDropout, (ulong)seed, targetModules: o.LoraTargetModules);
            return (lora, null, new LlamaForSequenceClassification(weights, numLabels, lm.PadId, lora, null, (ulong)seed));
        }
        var w = weights.ToWritableF32();
        // An untied lm_head gets no gradient from the classifier and is not saved: it takes no optimizer state.
        var backbone = LlamaParameters.Create(w, n => n != "lm_head.weight");
        return (null, backbone, new LlamaForSequenceClassification(w, numLabels, lm.PadId, null, null, (ulong)seed, backbone));
    }

    /// <summary>The trainable tensors outside the backbone with their gradient buffers: PEFT's LoRA factors (when LoRA) and score.weight.</summary>
    internal static IEnumerable<(string Name, Tensor Tensor, float[] Grad)> Trainables(LoraAdapters? lora, LlamaForSequenceClassification model, int numLabels) =>
        lora != null ? Peft.Trainables(lora, model.ScoreWeight, model.ScoreGrad, numLabels)
            : [(Peft.ScoreKey, Checkpoint.Alias(model.ScoreWeight, numLabels, model.ScoreWeight.Length / numLabels), model.ScoreGrad)];

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
