using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using SpeechTok.Lm.Model;
using SpeechTok.Lm.Tokenization;
using SpeechTok.Tensors;
using SpeechTok.IO;
using SpeechTok.Tensors.IO;
using SpeechTok.Tensors.Optim;

namespace SpeechTok.Training;

/// <summary>
/// Pre-trains a Llama on plain text, from scratch (byte-level BPE learned on the train documents, random weights) or
/// from a model (<see cref="LmTrainOptions.InitFrom"/>: its tokenizer and weights), on packed
/// windows (<see cref="PackedText"/>) shuffled per epoch from the seed, AdamW (no decay on 1-D tensors),
/// warm-up then cosine decay, global-norm clipping, held-out bits per byte every <c>EvalEvery</c> steps
/// (<see cref="LmEvaluation"/>), and a checkpoint every <c>CheckpointEvery</c> steps from which a rerun of
/// the same command continues to bit-identical weights. Writes a Hugging Face folder.
/// </summary>
public static class LmTrainer
{
    public const string RunFile = "training_run.json", MetricsFile = "metrics.jsonl", SummaryFile = "training_metrics.json";

    public static LmTrainResult Run(LmTrainSpec spec, Action<string>? log = null, Action<TrainingProgress>? progress = null, Action<long>? afterStep = null)
    {
        var o = spec.Options;
        o.Validate();
        if (spec.Train.Count == 0) throw new SpeechTokException("lm train: no training document");
        if (spec.Valid.Count == 0) throw new SpeechTokException("lm train: no validation document (--valid or --valid-from-year)");
        string dir = Path.GetFullPath(spec.Out);
        string? initFolder = o.InitFrom is { } from ? Path.GetFullPath(ModelResolver.Resolve(from)) : null;
        using var init = initFolder != null ? CausalLmFolder.Open(initFolder) : null;
        if (init != null)
        {
            if (initFolder == dir) throw new SpeechTokException($"--out {dir} is the --init-from model's folder: write the continued model elsewhere");
            init.CheckSequenceLength(o.SeqLen, "--seq-len");
            o.CheckBatchSizes(init.Config.HiddenSize, init.Config.NumHeads * init.Config.HeadDim, init.Config.IntermediateSize);
        }
        var corpus = LmCorpusInfo.Of(spec);
        // A folder's files other than *.txt are left out: say so, with what was loaded, rather than train on less in silence.
        log?.Invoke($"{corpus.TrainDocuments:N0} training documents ({corpus.TrainBytes:N0} bytes), {corpus.ValidDocuments:N0} held out ({corpus.ValidBytes:N0} bytes)"
            + (TextCorpus.SkippedNote(spec.Skipped) is { } note ? "; " + note : ""));
        string? initSha = initFolder != null ? ModelSha256(initFolder) : null;
        var run = new LmRun
        {
            Options = o, TrainSha256 = corpus.TrainSha256, ValidSha256 = corpus.ValidSha256, InitSha256 = initSha,
            Kernels = KernelPath.Name,
        };
        var recorded = CheckRun(dir, run);
        bool fresh = recorded == null;
        if (recorded?.Kernels is { } began && began != run.Kernels)
            log?.Invoke($"warning: {Path.Combine(dir, RunFile)}: the run began on {began} kernels and resumes on {run.Kernels}: it continues, but from here its numbers differ from an uninterrupted run's in the last bits");

        HfTokenizer tok;
        int? bos;
        int? eos;
        Action? saveTokenizer = null;
        if (init == null)
        {
            (tok, saveTokenizer) = LoadOrLearnTokenizer(dir, spec.Train, o, log);
            (bos, eos) = (tok.TokenToId(BpeTrainer.Bos)!.Value, tok.TokenToId(BpeTrainer.Eos)!.Value);
        }
        else (tok, bos, eos) = (init.Tokenizer, init.BosId, init.EosId);
        var clock = Stopwatch.StartNew();
        PackedText Pack(IReadOnlyList<TextDocument> docs)
        {
            var texts = docs.Select(d => d.Text).ToList();
            return init != null ? init.Pack(texts) : PackedText.Encode(tok, texts, bos, eos);
        }
        var train = Pack(spec.Train);
        var valid = Pack(spec.Valid);
        int windows = train.FullWindows(o.SeqLen);
        if (windows == 0) throw new SpeechTokException($"lm train: the training text has {train.Ids.Length} tokens, fewer than one window of --seq-len {o.SeqLen}");
        log?.Invoke($"encoded {train.Ids.Length:N0} training tokens ({windows:N0} windows of {o.SeqLen}) and {valid.Ids.Length:N0} held-out tokens in {clock.Elapsed.TotalSeconds:F1} s");

        JsonObject config;
        LlamaWeights weights;
        LlamaParameters parameters;
        AdamW opt;
        LlamaForCausalLm? allocated = null;
        int b = o.BatchSize, t = o.SeqLen;
        int[] ids, mask;
        // The model, its optimizer state and every buffer of a step and of an evaluation exist before anything is written:
        // a model or batch too large for memory is refused, and --out is left as it was for the corrected command.
        try
        {
            if (init == null)
            {
                config = o.Shape!.ConfigJson(tok.VocabSize, bos!.Value, eos!.Value, o.SeqLen);
                var scratch = LlamaConfig.Parse(config.ToJsonString(), "lm train config");
                weights = LlamaWeights.Load(scratch, LlamaShape.InitialWeights(scratch, o.Seed, scaledResidual: true).GetValueOrDefault);
            }
            else
            {
                config = ArtifactJson.ReadObject(Path.Combine(initFolder!, "config.json"));
                // Saved as trained, in F32 (16-bit weights are upcast exactly): a loader that honours the config must not downcast them.
                config["torch_dtype"] = "float32";
                if (config.ContainsKey("dtype")) config["dtype"] = "float32";
                weights = init.Weights.ToWritableF32();
            }
            parameters = LlamaParameters.Create(weights);
            opt = new AdamW(parameters.All, o.Lr, o.Beta1, o.Beta2, 1e-8, o.WeightDecay);
            allocated = new LlamaForCausalLm(weights);
            // What the first training step and the evaluations would allocate (they reuse these buffers; the values do not depend on when they were made).
            allocated.Reserve(b, t, forBackward: true);
            allocated.Reserve(o.EvalBatchSize, t, forBackward: false);
            ids = new int[b * t];
            mask = new int[b * t];
        }
        catch (OutOfMemoryException e)
        {
            allocated?.Dispose();
            throw new SpeechTokException($"lm train: not enough memory for the model, its gradients and AdamW state and the activations of --batch-size {b} × --seq-len {t} "
                + $"(--eval-batch-size {o.EvalBatchSize} for the held-out evaluation): lower --batch-size, --seq-len or --eval-batch-size"
                + (init == null ? ", or the model shape (--hidden, --layers, --intermediate, --vocab-size)" : ""), e);
        }
        using LlamaForCausalLm model = allocated;
        // Only a run that can start writes into --out, so that a refused command leaves nothing behind to block its correction.
        using var writing = FolderLock.Acquire(dir, "lm train");
        if (fresh) ArtifactJson.Save(Path.Combine(dir, RunFile), run, LmRun.Kind);
        saveTokenizer?.Invoke();
        if (init != null) CopyModelFiles(initFolder!, dir, TokenizerFiles);

        var c = weights.Config;
        int vocab = c.VocabSize;
        var schedule = new WarmupCosineSchedule(o.Lr, o.MinLr, o.WarmupSteps, o.MaxSteps);

        long parameterCount = parameters.All.Sum(p => (long)p.Length);
        MetricsLog? metrics = null;
        long[]? loggedEvals = null; // the checkpoint's eval_steps: what metrics.jsonl must still hold on resume
        LmEvalResult? last = null;
        LmEvalResult Eval(long at)
        {
            var r = LmEvaluation.Evaluate(model, valid, o.SeqLen, o.EvalBatchSize, $"lm train: held-out evaluation at step {at}");
            if (!metrics!.HasEval(at)) metrics.Write(LmEvalLine.Of(at, r));
            log?.Invoke($"step {at}: held-out loss {r.MeanLoss:F4}, {r.BitsPerByte:F4} bits/byte, perplexity {r.Perplexity:F1}");
            return r;
        }

        var meter = new StepMeter(o.MaxSteps);
        double sessionStart = 0;
        var data = new WindowOrder(windows, o.Seed);
        Array.Fill(mask, 1);
        float dSum = (float)(1.0 / ((long)b * o.GradAccum * (t - 1)));
        try
        {
            var end = TrainingLoop.Run(dir, new TrainingLoopSpec<LmCheckpointState>
            {
                Optimizer = opt, TotalSteps = o.MaxSteps, MaxGradNorm = o.MaxGradNorm, LrAt = s => schedule.LrAt(s),
                Resume = state =>
                {
                    if (state.Step != opt.StepCount) throw new SpeechTokException($"{dir}/checkpoint: state.json says step {state.Step} but the optimizer state has {opt.StepCount}");
                    sessionStart = state.Seconds;
                    loggedEvals = state.EvalSteps ?? [0]; // an older checkpoint: only the evaluation before training is sure
                    log?.Invoke(state.Step >= o.MaxSteps ? $"already finished at step {state.Step}/{o.MaxSteps}: nothing left to train; the model is saved again"
                        : $"resuming at step {state.Step}/{o.MaxSteps}");
                    return new TrainingStatus(state.Step, 0, 0, 0, false);
                },
                Started = step =>
                {
                    metrics = MetricsLog.Open(Path.Combine(dir, MetricsFile), step, tokenizerLine: init == null, loggedEvals ?? []);
                    log?.Invoke($"model: {parameterCount:N0} parameters ({c.NumLayers} layer{(c.NumLayers == 1 ? "" : "s")}, hidden {c.HiddenSize}, vocab {vocab}{(o.InitFrom != null ? ", from " + o.InitFrom : "")}), {o.TokensPerStep:N0} tokens per step, {o.MaxSteps} steps");
                    meter.Start();
                },
                EvalAtStart = true,
                LossAndGradients = step =>
                {
                    meter.StepStarted(o.TokensPerStep);
                    double lossSum = 0;
                    for (int m = 0; m < o.GradAccum; m++)
                    {
                        for (int i = 0; i < b; i++)
                        {
                            long g = (step * o.GradAccum + m) * b + i;
                            var (start, _) = train.Window(data.At(g), t).GetOffsetAndLength(train.Ids.Length);
                            train.Ids.AsSpan(start, t).CopyTo(ids.AsSpan(i * t, t));
                        }
                        lossSum += model.LossAndGradients(ids, mask, ids, b, t, parameters, dSum).Sum;
                    }
                    double loss = lossSum * dSum;
                    if (!double.IsFinite(loss)) throw new SpeechTokException($"lm train: loss is {loss} at step {step + 1} (lower --lr, or check the data)");
                    return loss;
                },
                Trained = (step, loss, norm) =>
                {
                    if (!double.IsFinite(norm)) throw new SpeechTokException($"lm train: gradient norm is {norm} at step {step} (lower --lr, or check the data)");
                    meter.Trained(step, loss, opt.Lr, norm);
                    metrics!.Write(new LmTrainLine
                    {
                        Step = step, Loss = loss, Lr = opt.Lr, GradNorm = norm, Tokens = step * o.TokensPerStep, Seconds = sessionStart + meter.Elapsed.TotalSeconds,
                    });
                },
                EvalDue = step => step % o.EvalEvery == 0 || step == o.MaxSteps,
                Evaluate = step => (last = Eval(step)).MeanLoss,
                CheckpointDue = step => step % o.CheckpointEvery == 0 || step == o.MaxSteps,
                State = st => new LmCheckpointState
                {
                    Step = st.Step, WindowsSeen = st.Step * o.GradAccum * b, TokensSeen = st.Step * o.TokensPerStep, Seconds = sessionStart + meter.Elapsed.TotalSeconds,
                    EvalSteps = [.. metrics!.EvalCurve().Select(e => e.Step)],
                },
                CheckpointTensors = _ => parameters.All.Select(p => (p.Name, p.Value)),
                Restore = get =>
                {
                    foreach (var p in parameters.All) get(p.Name, p.Data.Length).CopyTo(p.Data);
                    return null;
                },
                AfterStep = step =>
                {
                    progress?.Invoke(meter.Progress());
                    afterStep?.Invoke(step);
                },
            });
            long step = end.Status.Step;
            last ??= Eval(step);
            double seconds = sessionStart + meter.Elapsed.TotalSeconds;
            WriteModel(dir, weights, config, init != null ? init.Config.BosTokenId : bos, init?.Config.EosTokenIds ?? [eos!.Value], o);
            if (initFolder != null) CopyModelFiles(initFolder, dir, ["generation_config.json"]); // the model's own sampling defaults and EOS list
            WriteSummary(dir, spec, corpus, c, initSha, last, step, seconds, parameterCount, metrics!.EvalCurve());
            log?.Invoke($"done: {step} steps, held-out {last.BitsPerByte:F4} bits/byte (perplexity {last.Perplexity:F2}) → {dir}");
            return new LmTrainResult(last, step, step * o.TokensPerStep, seconds, dir);
        }
        finally
        {
            metrics?.Dispose();
        }
    }

    /// <summary>
    /// A run folder belongs to one corpus and one set of weight-determining options: a different command is refused,
    /// and so is a folder that holds anything but this command's own run (a model folder, say), which training would
    /// overwrite. Returns the folder's recorded run, or null for a new run (the folder is absent or empty); writes nothing.
    /// </summary>
    private static LmRun? CheckRun(string dir, LmRun run)
    {
        string path = Path.Combine(dir, RunFile);
        if (File.Exists(path))
        {
            var recorded = ArtifactJson.Load<LmRun>(path, LmRun.Kind);
            recorded.CheckSameAs(run, path);
            return recorded;
        }
        OutputPaths.RequireFolder(dir, "lm train writes a model folder");
        if (Directory.Exists(dir) && Directory.EnumerateFileSystemEntries(dir).FirstOrDefault(e => Path.GetFileName(e) != FolderLock.FileName) is { } entry)
            throw new SpeechTokException($"--out {dir} holds {Path.GetFileName(entry)} but no {RunFile}: lm train writes a new model into an empty or new folder (or resumes its own run there)");
        return null;
    }

    /// <summary>
    /// The folder's tokenizer, or one learned on the train documents when it has none, with the action that saves it:
    /// it starts metrics.jsonl with its "tokenizer" line, written before tokenizer.json so that a kill between the two
    /// cannot lose the line.
    /// </summary>
    private static (HfTokenizer Tokenizer, Action? Save) LoadOrLearnTokenizer(string dir, IReadOnlyList<TextDocument> train, LmTrainOptions o, Action<string>? log)
    {
        string path = Path.Combine(dir, "tokenizer.json");
        HfTokenizer tok;
        Action? save = null;
        if (File.Exists(path)) tok = HfTokenizer.Load(dir);
        else
        {
            var clock = Stopwatch.StartNew();
            var words = BpeTrainer.CountWords(train.Select(d => d.Text));
            var merges = BpeTrainer.LearnMerges(words, o.VocabSize!.Value);
            double s = clock.Elapsed.TotalSeconds;
            var json = BpeTrainer.TokenizerJson(merges);
            tok = HfTokenizer.FromJson(json.ToJsonString(), path);
            log?.Invoke($"BPE: {merges.Count} merges from {words.Count:N0} distinct words in {s:F1} s");
            // HF's BpeTrainer stops early the same way; say so, since config.json will hold the smaller vocab_size.
            if (tok.VocabSize < o.VocabSize)
                log?.Invoke($"warning: no pair of symbols occurs twice any more in the training text: the vocabulary has {tok.VocabSize} tokens, not --vocab-size {o.VocabSize}");
            save = () =>
            {
                RunFiles.WriteJson(Path.Combine(dir, "tokenizer_config.json"), new JsonObject
                {
                    ["tokenizer_class"] = "PreTrainedTokenizerFast", ["bos_token"] = BpeTrainer.Bos, ["eos_token"] = BpeTrainer.Eos,
                    ["model_max_length"] = o.SeqLen, ["clean_up_tokenization_spaces"] = false,
                });
                var line = new LmTokenizerLine { Step = 0, Seconds = s, DistinctWords = words.Count, Merges = merges.Count };
                AtomicFile.WriteAllText(Path.Combine(dir, MetricsFile), line.ToJson() + "\n"); // nothing earlier holds without this tokenizer
                RunFiles.WriteJson(path, json);
            };
        }
        if (tok.TokenToId(BpeTrainer.Bos) == null || tok.TokenToId(BpeTrainer.Eos) == null)
            throw new SpeechTokException($"{path}: has no {BpeTrainer.Bos} / {BpeTrainer.Eos} token");
        if (tok.VocabSize > o.VocabSize) throw new SpeechTokException($"{path}: vocabulary {tok.VocabSize} exceeds --vocab-size {o.VocabSize}");
        return (tok, save);
    }

    /// <summary>
    /// config.json, model.safetensors (F32, HF names; no lm_head when tied), generation_config.json: the Hugging
    /// Face folder that <c>transformers</c>' <c>LlamaForCausalLM.from_pretrained</c> and <see cref="LlamaCheckpoint"/> read.
    /// </summary>
    internal static void WriteModel(string dir, LlamaWeights weights, JsonObject config, int? bos, int[] eos, LmTrainOptions o)
    {
        SafeTensors.Save(Path.Combine(dir, "model.safetensors"), weights.Named(), new Dictionary<string, string> { ["format"] = "pt" });
        RunFiles.WriteJson(Path.Combine(dir, "config.json"), config);
        // A new model gets sampling defaults and its training context; a continued one only its special ids (as transformers'
        // GenerationConfig.from_model_config), unless the source model's own generation_config.json is copied over it.
        var generation = new JsonObject();
        if (bos is int b) generation["bos_token_id"] = b;
        if (eos.Length > 0) generation["eos_token_id"] = eos.Length == 1 ? eos[0] : new JsonArray([.. eos.Select(id => (JsonNode)id)]);
        if (o.InitFrom == null)
        {
            generation["max_length"] = o.SeqLen;
            generation["do_sample"] = true;
            generation["temperature"] = 0.8;
            generation["top_k"] = 40;
        }
        RunFiles.WriteJson(Path.Combine(dir, "generation_config.json"), generation);
    }

    /// <summary>Files of a continued model kept as they are (as HF <c>save_pretrained</c> keeps the tokenizer), those present.</summary>
    private static void CopyModelFiles(string from, string dir, IEnumerable<string> files)
    {
        foreach (var f in files)
            if (File.Exists(Path.Combine(from, f))) AtomicFile.WriteAllBytes(Path.Combine(dir, f), File.ReadAllBytes(Path.Combine(from, f)));
    }

    private static readonly string[] TokenizerFiles = ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"];

    /// <summary>
    /// sha256 over what a continued run reads from a model folder, each file's own sha256 concatenated in this order:
    /// config.json, the tokenizer files present (tokenizer.json, tokenizer_config.json, special_tokens_map.json), and
    /// the weights as <see cref="SafeTensors.OpenModel"/> finds them (model.safetensors, else model.safetensors.index.json
    /// and its shards in ordinal order). Throws when config.json, tokenizer.json or the weights are missing.
    /// </summary>
    public static string ModelSha256(string folder)
    {
        string At(string f) => Path.Combine(folder, f);
        var files = new List<string> { At("config.json"), At("tokenizer.json") };
        files.AddRange(TokenizerFiles.Skip(1).Select(At).Where(File.Exists));
        if (File.Exists(At(SafeTensors.ModelFileName))) files.Add(At(SafeTensors.ModelFileName));
        else if (File.Exists(At(SafeTensors.IndexFileName)))
        {
            files.Add(At(SafeTensors.IndexFileName));
            var map = ArtifactJson.ReadObject(At(SafeTensors.IndexFileName))["weight_map"] as JsonObject
                ?? throw new SpeechTokException($"{At(SafeTensors.IndexFileName)}: no weight_map object");
            files.AddRange(map.Select(kv => kv.Value!.GetValue<string>()).Distinct().Order(StringComparer.Ordinal).Select(At));
        }
        else files.Add(At(SafeTensors.ModelFileName)); // missing: refused below
        using var all = new MemoryStream();
        foreach (var f in files)
        {
            if (!File.Exists(f)) throw new SpeechTokException($"{f}: missing (a model folder needs config.json, tokenizer.json and safetensors weights)");
            using var s = File.OpenRead(f);
            all.Write(System.Security.Cryptography.SHA256.HashData(s));
        }
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(all.ToArray()));
    }

    private static void WriteSummary(string dir, LmTrainSpec spec, LmCorpusInfo corpus, LlamaConfig c, string? initSha, LmEvalResult heldOut, long steps,
        double seconds, long parameterCount, IReadOnlyList<LmEvalLine> evalCurve)
    {
        var o = spec.Options;
        new LmTrainingSummary
        {
            HeldOut = LmHeldOut.Of(heldOut), Steps = steps, TokensSeen = steps * o.TokensPerStep, WallSeconds = seconds,
            Parameters = parameterCount, VocabSize = c.VocabSize, Options = o, CommandLine = spec.CommandLine,
            Init = o.InitFrom != null
                ? $"continued from {o.InitFrom} (sha256 {initSha} over config.json, tokenizer.json and the safetensors files)"
                : "normal(0, 0.02); o_proj, down_proj normal(0, 0.02/sqrt(2*layers)); norm weights 1",
            Corpus = corpus, EvalCurve = evalCurve,
        }.Save(Path.Combine(dir, SummaryFile));
        string origin = o.InitFrom != null
            ? $"""
                A Llama-architecture causal language model: continued pre-training of `{o.InitFrom}` (sha256 {initSha}) by
                `speechtok lm train --init-from` (docs/lm-pretraining.md), with that model's tokenizer: {c.NumLayers} layers, hidden {c.HiddenSize},
                {c.NumHeads} heads / {c.NumKvHeads} KV heads, MLP {c.IntermediateSize}, vocabulary {c.VocabSize}, training context {o.SeqLen}, {(c.TieWordEmbeddings ? "tied" : "untied")} embeddings.
                """
            : $"""
                A small Llama-architecture causal language model trained from scratch by `speechtok lm train`
                (docs/lm-pretraining.md): {c.NumLayers} layers, hidden {c.HiddenSize}, {c.NumHeads} heads / {c.NumKvHeads} KV heads, MLP {c.IntermediateSize},
                context {o.SeqLen}, tied embeddings, byte-level BPE vocabulary of {c.VocabSize} learned on the training text.
                """;
        AtomicFile.WriteAllText(Path.Combine(dir, "README.md"), string.Create(CultureInfo.InvariantCulture, $"""
            # SpeechTok pre-trained Llama ({parameterCount:N0} parameters)

            {origin}

            Held-out ({spec.Valid.Count} documents: {string.Join(", ", spec.Valid.Select(d => d.Name))}):
            **{heldOut.BitsPerByte:F4} bits per byte**, perplexity {heldOut.Perplexity:F2} per token ({heldOut.Tokens:N0} tokens, {heldOut.Bytes:N0} bytes).

            Training: {spec.Train.Count} documents ({spec.Train[0].Name} … {spec.Train[^1].Name}; {corpus.TrainBytes} bytes, sha256 {corpus.TrainSha256}), {steps} steps of
            {o.TokensPerStep:N0} tokens, AdamW lr {o.Lr} → {o.MinLr} (warm-up {o.WarmupSteps}, cosine), weight decay {o.WeightDecay}, seed {o.Seed};
            {seconds:F0} s wall time. Command: `{spec.CommandLine}`. Details in training_metrics.json and metrics.jsonl.

            """));
    }

    /// <summary>Window order: epoch e visits all windows in <c>Rng.ForPurpose(seed, "lm.order.e")</c>'s permutation; g counts windows over epochs.</summary>
    private sealed class WindowOrder(int windows, ulong seed)
    {
        private long _epoch = -1;
        private int[] _perm = [];

        public int At(long g)
        {
            long e = g / windows;
            if (e != _epoch)
            {
                _perm = Rng.ForPurpose(seed, $"lm.order.{e}").Permutation(windows);
                _epoch = e;
            }
            return _perm[(int)(g % windows)];
        }
    }

    /// <summary>
    /// metrics.jsonl, one <see cref="LmMetricsLine"/> per line; on resume, lines after the checkpoint's step are dropped (they
    /// will be redone), and so is a last line that a kill cut short (no newline, not JSON). Any other line that does not
    /// read is an error naming the file and line, not skipped: the file is rewritten with the kept lines only, so a skipped
    /// line would be lost. The kept lines must cover what the checkpoint did (the tokenizer line of a run that learned its
    /// tokenizer, a train line for every step, the evaluations the checkpoint lists): a file that lost lines is an error
    /// naming the first one missing, since the resumed run could not write them again.
    /// </summary>
    private sealed class MetricsLog : IDisposable
    {
        private readonly StreamWriter _writer;
        private readonly List<LmEvalLine> _evals;

        private MetricsLog(string path, IReadOnlyList<(string Text, LmMetricsLine Line)> kept)
        {
            AtomicFile.WriteAllText(path, string.Concat(kept.Select(l => l.Text + "\n"))); // as they were, byte for byte
            _evals = [.. kept.Select(l => l.Line).OfType<LmEvalLine>()];
            _writer = new StreamWriter(path, append: true) { AutoFlush = true };
        }

        /// <param name="keepUpTo">The checkpoint's step (0: a new run, when no line is required).</param>
        /// <param name="tokenizerLine">Whether the run learned its tokenizer, which wrote the first line.</param>
        /// <param name="evalSteps">The steps whose evaluation line the checkpoint says was written.</param>
        public static MetricsLog Open(string path, long keepUpTo, bool tokenizerLine, IReadOnlyCollection<long> evalSteps)
        {
            var kept = new List<(string, LmMetricsLine)>();
            if (File.Exists(path))
            {
                var lines = File.ReadAllText(path).Split('\n'); // the last one is what follows the last newline: empty, or torn
                for (int i = 0; i < lines.Length; i++)
                {
                    if (string.IsNullOrWhiteSpace(lines[i])) continue;
                    LmMetricsLine line;
                    try { line = LmMetricsLine.Parse(lines[i]); }
                    catch (JsonException) when (i == lines.Length - 1 && !IsJson(lines[i])) { continue; } // cut short by a kill: redone anyway
                    catch (JsonException e) { throw new SpeechTokException($"{path}:{i + 1}: invalid metrics line ({e.Message})", e); }
                    if (line.Step <= keepUpTo) kept.Add((lines[i], line));
                }
            }
            if (keepUpTo > 0 && FirstMissing(kept.Select(l => l.Item2).ToList(), keepUpTo, tokenizerLine, evalSteps) is { } missing)
                throw new SpeechTokException((File.Exists(path) ? $"{path}: has no {missing}" : $"{path}: missing, so it has no {missing}") +
                    $", yet the checkpoint ({Path.Combine(Path.GetDirectoryName(path)!, Checkpoint.Folder, Checkpoint.StateFile)}) has done {keepUpTo} step(s): lines of the log were lost (the file was deleted, cut or edited), " +
                    "and a resumed run would end with a log and curves without them. Nothing was changed. Put back a complete metrics.jsonl if you have a copy; " +
                    "otherwise train again into a new --out (or delete this folder): the lost lines cannot be recomputed from the checkpoint");
            return new MetricsLog(path, kept);
        }

        /// <summary>The first line, in the order they are written, that <paramref name="kept"/> lacks; null when none.</summary>
        private static string? FirstMissing(List<LmMetricsLine> kept, long upTo, bool tokenizerLine, IReadOnlyCollection<long> evalSteps)
        {
            if (tokenizerLine && !kept.OfType<LmTokenizerLine>().Any()) return "tokenizer line (step 0)";
            var trained = kept.OfType<LmTrainLine>().Select(l => l.Step).ToHashSet();
            var evaluated = kept.OfType<LmEvalLine>().Select(l => l.Step).ToHashSet();
            var due = evalSteps.ToHashSet();
            for (long step = 0; step <= upTo; step++)
            {
                if (step > 0 && !trained.Contains(step)) return $"train line of step {step}";
                if (due.Contains(step) && !evaluated.Contains(step)) return $"evaluation line of step {step}";
            }
            return null;
        }

        private static bool IsJson(string text)
        {
            try
            {
                JsonDocument.Parse(text).Dispose();
                return true;
            }
            catch (JsonException) { return false; }
        }

        public void Write(LmMetricsLine line)
        {
            _writer.WriteLine(line.ToJson());
            if (line is LmEvalLine e) _evals.Add(e);
        }

        public bool HasEval(long step) => _evals.Any(e => e.Step == step);

        public IReadOnlyList<LmEvalLine> EvalCurve() => [.. _evals];

        public void Dispose() => _writer.Dispose();
    }
}
