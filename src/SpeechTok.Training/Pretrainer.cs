using SpeechTok.Lm.Model;
using SpeechTok.Tensors;
using SpeechTok.Tensors.IO;
using SpeechTok.Tensors.Optim;

namespace SpeechTok.Training;

/// <summary>
/// Step 2: causal-LM training of the appended rows only (audio tokens + markers), through the input lookup
/// and the tied (or untied) output rows. Gradients are normalised by the target-token count over the
/// accumulated micro-batches (HF ≥ 4.46). Evaluates every floor(steps per epoch / <see cref="PretrainOptions.EvalsPerEpoch"/>)
/// steps counted over the whole run (HF's eval_steps; epochs can get uneven counts, and steps after the last evaluation
/// are never kept), keeps the best rows by eval loss, stops after <see cref="PretrainOptions.Patience"/> evals without
/// improvement, and checkpoints each epoch so that a rerun continues where a killed one stopped.
/// </summary>
public static class Pretrainer
{
    /// <summary>What <see cref="Run"/> needs of the model and the corpus; <see cref="PretrainSpec"/> checks it before it creates
    /// the run folder, so that a refused run leaves none.</summary>
    internal static void RequireTrainable(LanguageModel lm, EncodedSet corpus, PretrainOptions o)
    {
        if (lm.TrainableCount == 0) throw new SpeechTokException("pre-training needs a selection: there are no audio rows to train");
        if (corpus.Count < 2) throw new SpeechTokException($"pre-training corpus has {corpus.Count} sample(s); at least 2 are needed for a train/eval split");
        Steps(o, corpus.Count);
    }

    /// <summary>
    /// How a corpus of <paramref name="count"/> samples is split and stepped: the held-out samples, the micro-batches and
    /// optimizer steps of an epoch, and the steps of the run (<see cref="TrainingLoop.TotalSteps"/>: refused beyond int range).
    /// </summary>
    private static (int Eval, int Micro, int PerEpoch, int Total) Steps(PretrainOptions o, int count)
    {
        int nEval = Math.Clamp((int)Math.Ceiling(o.EvalFraction * count), 1, count - 1);
        int micro = (int)(((long)count - nEval + o.BatchSize - 1) / o.BatchSize);
        int perEpoch = (int)(((long)micro + o.Accumulation - 1) / o.Accumulation);
        return (nEval, micro, perEpoch, TrainingLoop.TotalSteps(perEpoch, o.Epochs, "--batch-size or --gradient-accumulation-steps"));
    }

    /// <summary>
    /// Trains the rows, resuming from <paramref name="runDir"/>'s checkpoint. <paramref name="settings"/> is kept in the
    /// checkpoint, and a checkpoint started with other settings is refused naming the field (its rows would otherwise
    /// continue under other hyper-parameters, data or model). <paramref name="progress"/> is called after every step, before
    /// <paramref name="afterStep"/>, with the epoch, step, loss, speed and ETA.
    /// </summary>
    public static PretrainResult Run(LanguageModel lm, EncodedSet corpus, PretrainOptions o, string runDir, Action<string>? log = null, Action<long>? afterStep = null,
        PretrainFile? settings = null, Action<TrainingProgress>? progress = null)
    {
        o.Validate();
        RequireTrainable(lm, corpus, o);
        int h = lm.Config.HiddenSize, nNew = lm.NewRowCount;
        var perm = Rng.ForPurpose(o.Seed, "pretrain.split").Permutation(corpus.Count);
        var (nEval, micro, perEpoch, total) = Steps(o, corpus.Count);
        var eval = corpus.Subset(perm[..nEval], "eval");
        var train = corpus.Subset(perm[nEval..], "train");

        var (embed, head) = lm.AttachNewRows(o.Seed);
        var pIn = Parameter.Rows("model.embed_tokens.weight", embed, lm.TrainableStart, lm.TrainableCount);
        var pOut = head == null ? null : Parameter.Rows("lm_head.weight", head, lm.TrainableStart, lm.TrainableCount);
        var ps = pOut == null ? new[] { pIn } : [pIn, pOut];
        var opt = new AdamW(ps, o.Lr, weightDecay: 0);
        var schedule = LinearWarmupSchedule.FromRatio(o.Lr, o.WarmupRatio, total);
        int evalEvery = Math.Max(1, perEpoch / o.EvalsPerEpoch);

        using var model = new LlamaForCausalLm(lm.Weights);
        var gIn = new float[nNew * h];
        var gOut = head == null ? gIn : new float[nNew * h];
        var trainCurve = new List<TrainLossPoint>();
        var evalCurve = new List<EvalLossPoint>();
        int orderEpoch = -1;
        int[] order = [];
        var meter = new StepMeter(total, stepsPerEpoch: perEpoch, epochs: o.Epochs);
        double Epochs(long step) => (step - 1) / perEpoch + ((step - 1) % perEpoch + 1.0) / perEpoch;
        Tensor Rows(ReadOnlySpan<float> data) => Tensor.FromData(data, lm.TrainableCount, h);

        var end = TrainingLoop.Run(runDir, new TrainingLoopSpec<PretrainState>
        {
            Optimizer = opt, TotalSteps = total, MaxGradNorm = o.MaxGradNorm, LrAt = s => schedule.LrAt(s),
            LossAndGradients = step =>
            {
                int epoch = (int)(step / perEpoch), u = (int)(step % perEpoch);
                if (epoch != orderEpoch) (order, orderEpoch) = (Rng.ForPurpose(o.Seed, $"pretrain.order.{epoch}").Permutation(train.Count), epoch);
                var groups = new List<int[]>();
                for (int m = u * o.Accumulation; m < Math.Min(micro, (u + 1) * o.Accumulation); m++)
                    groups.Add(order[(m * o.BatchSize)..Math.Min(train.Count, (m + 1) * o.BatchSize)]);
                long tokens = groups.Sum(g => g.Sum(i => (long)Math.Max(0, train.Ids[i].Length - 1)));
                if (tokens == 0) throw new SpeechTokException($"pre-training step {step + 1}: the batch has no target token (all sequences have length 1)");
                meter.StepStarted(groups.Sum(g => g.Sum(i => (long)train.Ids[i].Length)));
                Array.Clear(gIn);
                if (gOut != gIn) Array.Clear(gOut);
                double sum = 0;
                foreach (var g in groups)
                {
                    var batch = Batch.Make(g.Select(i => train.Ids[i]).ToList(), lm.PadId);
                    var loss = model.LossAndNewRowGradients(batch.Ids, batch.Mask, batch.LmLabels(), batch.B, batch.T, gIn, gOut, 1f / tokens);
                    if (!double.IsFinite(loss.Sum))
                        throw new SpeechTokException($"pre-training: loss is {loss.Sum} at step {step + 1} (epoch {epoch + 1}), batch of samples {string.Join(",", g.Select(i => train.Keys[i]))}");
                    sum += loss.Sum;
                }
                gIn.AsSpan(lm.TrainableStart * h, lm.TrainableCount * h).CopyTo(pIn.Grad.Span);
                if (pOut != null) gOut.AsSpan(lm.TrainableStart * h, lm.TrainableCount * h).CopyTo(pOut.Grad.Span);
                return sum / tokens;
            },
            Started = _ => meter.Start(),
            Trained = (step, loss, norm) =>
            {
                meter.Trained(step, loss, opt.Lr, norm);
                trainCurve.Add(new TrainLossPoint(step, Epochs(step), loss, opt.Lr));
            },
            EvalDue = step => step % evalEvery == 0,
            Evaluate = step =>
            {
                double el = EvalLoss(model, eval, lm.PadId, o.BatchSize);
                evalCurve.Add(new EvalLossPoint(step, Epochs(step), el));
                log?.Invoke($"step {step}/{total}: train loss {trainCurve[^1].Loss:F4}, eval loss {el:F4}");
                return el;
            },
            Selection = ModelSelection.Minimize, Patience = o.Patience,
            EarlyStop = st => log?.Invoke($"early stop: {st.BadEvals} evals without improvement"),
            CheckpointDue = step => step % perEpoch == 0,
            State = st => new PretrainState
            {
                EpochsDone = (int)((st.Step + perEpoch - 1) / perEpoch), BestEvalLoss = st.BestValue, BestStep = (int)st.BestStep,
                EvalsWithoutImprovement = st.BadEvals, Stopped = st.Stopped, TrainLoss = [.. trainCurve], EvalLoss = [.. evalCurve], Settings = settings,
            },
            CheckpointTensors = best => pOut == null
                ? [("rows", Rows(pIn.Data)), ("best_rows", Rows(best![0]))]
                : [("rows", Rows(pIn.Data)), ("best_rows", Rows(best![0])), ("head_rows", Rows(pOut.Data)), ("best_head_rows", Rows(best[1]))],
            CheckState = state =>
            {
                if (settings != null && state.Settings is { } started)
                    settings.RequireSameRunAs(started, Path.Combine(runDir, Checkpoint.Folder, Checkpoint.StateFile));
            },
            Restore = get =>
            {
                get("rows", pIn.Data.Length).CopyTo(pIn.Data);
                if (pOut == null) return [get("best_rows", pIn.Data.Length)];
                get("head_rows", pOut.Data.Length).CopyTo(pOut.Data);
                return [get("best_rows", pIn.Data.Length), get("best_head_rows", pOut.Data.Length)];
            },
            Resume = state =>
            {
                trainCurve = [.. state.TrainLoss];
                evalCurve = [.. state.EvalLoss];
                log?.Invoke(state.Stopped || opt.StepCount >= total
                    ? $"pre-training already finished ({(state.Stopped ? "stopped early" : "every epoch done")}: epoch {state.EpochsDone}, step {opt.StepCount}): nothing left to train; its best rows are saved again"
                    : $"resuming pre-training after epoch {state.EpochsDone} (step {opt.StepCount})");
                return new TrainingStatus(opt.StepCount, state.BestEvalLoss, state.BestStep, state.EvalsWithoutImprovement, state.Stopped);
            },
            AfterStep = step =>
            {
                progress?.Invoke(meter.Progress());
                afterStep?.Invoke(step);
            },
        });
        double bestLoss = end.Status.BestValue;
        if (double.IsPositiveInfinity(bestLoss)) bestLoss = EvalLoss(model, eval, lm.PadId, o.BatchSize);
        var curves = new PretrainCurves { TrainLoss = trainCurve, EvalLoss = evalCurve, EvalSamples = eval.Count, TrainSamples = train.Count, Truncated = corpus.Truncated };
        return new PretrainResult(end.Best![0], pOut == null ? null : end.Best[1], bestLoss, (int)end.Status.BestStep, curves);
    }

    /// <summary>Token-weighted mean causal-LM loss over a set.</summary>
    public static double EvalLoss(LlamaForCausalLm model, EncodedSet set, int padId, int batchSize)
    {
        double sum = 0;
        long count = 0;
        for (int s = 0; s < set.Count; s += batchSize)
        {
            var batch = Batch.Make(set.Ids[s..Math.Min(set.Count, s + batchSize)], padId);
            var l = model.Loss(batch.Ids, batch.Mask, batch.LmLabels(), batch.B, batch.T);
            sum += l.Sum;
            count += l.Count;
        }
        return count == 0 ? double.NaN : sum / count;
    }

    public const string RowsFile = "rows.safetensors", RowsTensor = "audio_embeddings", HeadRowsTensor = "lm_head_rows";

    /// <summary>Writes rows.safetensors (<see cref="RowsTensor"/>, plus <see cref="HeadRowsTensor"/> when untied) and then <paramref name="meta"/> as pretrain.json.</summary>
    public static void Save(string outDir, LanguageModel lm, PretrainResult r, PretrainFile meta)
    {
        int h = lm.Config.HiddenSize;
        var tensors = new List<(string, Tensor)> { (RowsTensor, Tensor.FromData(r.Rows, lm.TrainableCount, h)) };
        if (r.HeadRows != null) tensors.Add((HeadRowsTensor, Tensor.FromData(r.HeadRows, lm.TrainableCount, h)));
        SafeTensors.Save(Path.Combine(outDir, RowsFile), tensors, new Dictionary<string, string> { ["format"] = "pt" });
        meta.Save(Path.Combine(outDir, PretrainFile.FileName));
    }

    /// <summary>
    /// Reads the rows written by <see cref="Save"/>: [selection's tokens + 4 markers, hidden] (and the untied output rows),
    /// checked against pretrain.json: the same selection, the same model, and a model folder unchanged since
    /// (<see cref="ModelResolver.StampMatches"/>).
    /// </summary>
    /// <exception cref="SpeechTokException">No rows; no pretrain.json (an unfinished run); another selection or model; a changed model folder; a tensor missing or of another shape.</exception>
    public static (Tensor Rows, Tensor? Head) LoadRows(string dir, LanguageModel lm)
    {
        if (File.Exists(dir)) throw new SpeechTokException($"--pretrained '{Path.GetFullPath(dir)}' is a file, not a folder: give the --out folder of `speechtok pretrain`");
        string path = Path.Combine(dir, RowsFile);
        if (!File.Exists(path)) throw new SpeechTokException(NoRows(dir, path));
        string metaPath = Path.Combine(dir, PretrainFile.FileName);
        // pretrain.json is written after the rows: rows without it are an unfinished run's (a kill between the two), never checked.
        if (!File.Exists(metaPath))
            throw new SpeechTokException($"{metaPath} not found: the pre-training in {dir} did not finish (rows.safetensors is there, its record is not); "
                + "rerun the same `speechtok pretrain` command to finish it");
        if (lm.Vocabulary is { } v)
        {
            var meta = PretrainFile.Load(metaPath);
            meta.Tokenizer.RequireSameBos(lm.Tokenizer.BosId, metaPath);
            var sel = meta.Selection;
            if (!sel.Features.SequenceEqual(v.SelectedFeatures) || !sel.Layout.Equals(v.Layout))
                throw new SpeechTokException($"{metaPath}: the rows were pre-trained for another selection (features or layers differ from this run's selection.json)");
            string model = ModelResolver.Reference(lm.Folder), was = ModelResolver.Reference(meta.Model); // older records: the install path, no hash
            string? sha = ModelResolver.BuiltinSha256(model), wasSha = meta.BuiltinLmSha256 ?? sha;
            if (was != model || wasSha != sha)
                throw new SpeechTokException($"{metaPath}: the rows were pre-trained on model {Describe(was, wasSha)}, this run uses {Describe(model, sha)}; pre-train again on this model");
            // Content stamps only: a legacy one (sizes and times) cannot tell a touched folder from an edited one, and rows
            // were never checked against it.
            if (meta.ModelStamp is { } stamp && stamp.StartsWith(ModelResolver.StampPrefix, StringComparison.Ordinal) && !ModelResolver.StampMatches(stamp, model))
                throw new SpeechTokException($"{metaPath}: the model folder {lm.Folder} changed since the rows were pre-trained (its config, tokenizer or weight files differ); "
                    + "the rows fit the weights they were trained through: pre-train again, or restore the folder");
        }
        using var st = SafeTensors.Open(path);
        if (!st.Contains(RowsTensor)) throw new SpeechTokException($"{path}: tensor '{RowsTensor}' is missing");
        Tensor rows;
        using (var stored = st.Get(RowsTensor)) rows = stored.ToF32();
        rows.ExpectShape($"{path}: {RowsTensor} (selection's tokens + 4 markers, hidden)", lm.TrainableCount, lm.Config.HiddenSize);
        Tensor? head = null;
        if (!lm.Config.TieWordEmbeddings)
        {
            if (!st.Contains(HeadRowsTensor)) throw new SpeechTokException($"{path}: the model is untied but '{HeadRowsTensor}' is missing");
            using var stored = st.Get(HeadRowsTensor);
            head = stored.ToF32();
        }
        return (rows, head);
    }

    /// <summary>Why <paramref name="dir"/> has no rows: an unfinished pre-training (its checkpoint only), a fine-tuning run folder, or no pre-training at all.</summary>
    private static string NoRows(string dir, string path)
    {
        string[] unfinished = [Checkpoint.Folder, Checkpoint.Folder + ".new", Checkpoint.Folder + ".old"]; // AtomicFolder.Replace's halves too
        if (unfinished.Any(f => Directory.Exists(Path.Combine(dir, f))))
            return $"--pretrained '{dir}' is an unfinished pre-training (a checkpoint, no {RowsFile} yet): rerun the same `speechtok pretrain` command to finish it";
        if (File.Exists(Path.Combine(dir, RunFile.FileName)))
            return $"--pretrained '{dir}' is a fine-tuning run folder ({RunFile.FileName}), not a pre-training folder: give the --out folder of `speechtok pretrain`";
        return $"pre-trained rows '{path}' not found (run `speechtok pretrain --out {dir}` first, or pass --no-pretrain)";
    }

    private static string Describe(string model, string? builtinSha256) =>
        builtinSha256 == null ? model : $"{model} (sha256 {builtinSha256[..Math.Min(12, builtinSha256.Length)]}…)";
}
