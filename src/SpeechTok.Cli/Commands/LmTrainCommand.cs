using System.CommandLine;
using Spectre.Console;
using SpeechTok.Training;

namespace SpeechTok.Cli.Commands;

/// <summary>`speechtok lm train`: pre-train a Llama on plain text, from scratch or from a model (docs/lm-pretraining.md).</summary>
internal static class LmTrainCommand
{
    public static Command Build()
    {
        var d = new LmTrainOptions();
        var train = new Option<string[]>("--train") { Description = "Training text: files or folders of *.txt (one document per file).", Required = true, AllowMultipleArgumentsPerToken = true };
        var valid = new Option<string[]>("--valid") { Description = "Held-out text files or folders (one of --valid / --valid-from-year is required).", AllowMultipleArgumentsPerToken = true };
        var validFrom = new Option<int?>("--valid-from-year") { Description = "Hold out the --train files whose name starts with this year or a later one (e.g. 2017 for the SOTU addresses 2017–2021; one of --valid / --valid-from-year is required)." };
        var outDir = new Option<string>("--out") { Description = "Output folder: the Hugging Face model, metrics.jsonl, checkpoint/. Rerun the same command to resume.", Required = true };
        var initFrom = new Option<string>("--init-from") { Description = "Continued pre-training: start from this model (Hugging Face Llama-family folder, or 'builtin') with its tokenizer, instead of a new BPE and random weights." };
        var shape = LmTrainOptions.DefaultShape;
        var vocab = new Option<int?>("--vocab-size") { Description = $"Tokens in all: 256 bytes + BPE merges + BOS/EOS (default {LmTrainOptions.DefaultVocabSize}; not with --init-from)." };
        var hidden = new Option<int?>("--hidden", "--hidden-size") { Description = $"Hidden size (model width, HF hidden_size); default {shape.Hidden} (the shape options are not used with --init-from)." };
        var layers = new Option<int?>("--layers", "--num-hidden-layers") { Description = $"Decoder layers (num_hidden_layers); default {shape.Layers}." };
        var heads = new Option<int?>("--heads", "--num-attention-heads") { Description = $"Query attention heads (num_attention_heads, a multiple of --kv-heads); default {shape.Heads}." };
        var kvHeads = new Option<int?>("--kv-heads", "--num-key-value-heads") { Description = $"Key/value heads (num_key_value_heads; fewer than --heads is GQA); default {shape.KvHeads}." };
        var inter = new Option<int?>("--intermediate", "--intermediate-size") { Description = $"MLP intermediate size (intermediate_size); default {shape.Intermediate}." };
        var seqLen = new Option<int>("--seq-len", "--block-size") { Description = "Context length of training windows (and max_position_embeddings; run_clm.py's block_size).", DefaultValueFactory = _ => d.SeqLen };
        var batch = new Option<int>("--batch-size", "--per-device-train-batch-size") { Description = "Windows per micro-batch (HF per_device_train_batch_size).", DefaultValueFactory = _ => d.BatchSize };
        var accum = new Option<int>("--gradient-accumulation-steps", "--grad-accum") { Description = "Micro-batches whose gradients are summed per optimizer step (HF gradient_accumulation_steps).", DefaultValueFactory = _ => d.GradAccum }
            .AtLeast(1);
        var lr = new Option<double>("--lr", "--learning-rate") { Description = "Peak learning rate (HF learning_rate).", DefaultValueFactory = _ => d.Lr };
        var minLr = new Option<double>("--min-lr") { Description = "Learning rate at the end of the cosine decay.", DefaultValueFactory = _ => d.MinLr };
        var warmup = new Option<int>("--warmup-steps") { Description = "Steps of linear warm-up to --lr (at most --max-steps).", DefaultValueFactory = _ => d.WarmupSteps };
        var maxSteps = new Option<int?>("--max-steps") { Description = $"Optimizer steps (default {d.MaxSteps}; or give --max-tokens)." };
        var maxTokens = new Option<long?>("--max-tokens") { Description = "Train on this many tokens: steps = ceil(tokens / (batch size · gradient accumulation steps · seq-len))." };
        var wd = new Option<double>("--weight-decay") { Description = "AdamW decoupled weight decay (not on norm weights).", DefaultValueFactory = _ => d.WeightDecay };
        var clip = new Option<double>("--max-grad-norm") { Description = "Gradient clipping by global L2 norm (HF max_grad_norm; 0: no clipping, the norm is still logged).", DefaultValueFactory = _ => d.MaxGradNorm };
        var evalEvery = new Option<int>("--eval-steps", "--eval-every") { Description = "Held-out evaluation every N steps and at the end (HF eval_steps).", DefaultValueFactory = _ => d.EvalEvery };
        var ckptEvery = new Option<int>("--save-steps", "--checkpoint-every") { Description = "Checkpoint every N steps and at the end (HF save_steps).", DefaultValueFactory = _ => d.CheckpointEvery };
        var evalBatch = new Option<int>("--eval-batch-size", "--per-device-eval-batch-size") { Description = "Windows per forward pass of the held-out evaluation (HF per_device_eval_batch_size; the same windows and tokens, but the loss is summed batch by batch, so another size may change the last bits of the result).", DefaultValueFactory = _ => d.EvalBatchSize };
        var seed = new Option<long>("--seed") { Description = "Seed of the initial weights (from scratch) and of the window order; a non-negative integer.", DefaultValueFactory = _ => (long)d.Seed }
            .AtLeast(0); // was cast to ulong: -5 became 2^64 − 5
        var threads = CliLists.Threads("Threads, one per core by default.");
        var cmd = new Command("train", "Pre-train a Llama on plain text, from scratch (byte-level BPE) or from a model (--init-from): packed windows, AdamW with " +
            "warm-up and cosine decay, held-out bits per byte, checkpoints with exact resume. Writes a Hugging Face model folder.")
            { train, valid, validFrom, outDir, initFrom, vocab, hidden, layers, heads, kvHeads, inter, seqLen, batch, accum, lr, minLr, warmup, maxSteps, maxTokens, wd, clip, evalEvery, ckptEvery, evalBatch, seed, threads };
        cmd.SetAction(r =>
        {
            Tensors.Threading.Threads = r.GetValue(threads);
            // Before the corpus is read and a tokenizer learned: a folder that cannot be made fails now, naming --out.
            SpeechTok.IO.OutputPaths.RequireFolder(r.GetValue(outDir)!, "lm train writes a model folder");
            var skipped = new List<string>();
            var docs = TextCorpus.Load(r.GetValue(train)!, skipped);
            List<TextDocument> trainDocs = docs, validDocs = r.GetValue(valid) is { Length: > 0 } v ? TextCorpus.Load(v, skipped) : [];
            if (r.GetValue(validFrom) is int year)
            {
                if (validDocs.Count > 0) throw new SpeechTokException("give --valid or --valid-from-year, not both");
                (trainDocs, validDocs) = TextCorpus.SplitByYear(docs, year);
                if (validDocs.Count == 0) throw new SpeechTokException($"--valid-from-year {year}: no --train file is from {year} or later (the latest is {docs.Max(d => d.Name[..4])})");
                if (trainDocs.Count == 0) throw new SpeechTokException($"--valid-from-year {year}: every --train file is from {year} or later, so none is left to train on");
            }
            // Held-out numbers of text the model trained on measure memorisation, not what it learned.
            if (validDocs.Select(d => d.Path).Intersect(trainDocs.Select(d => d.Path)).FirstOrDefault() is { } both)
                throw new SpeechTokException($"{both} is both a --train and a --valid document; hold out other text");
            string? from = r.GetValue(initFrom);
            int?[] shapeValues = [r.GetValue(hidden), r.GetValue(layers), r.GetValue(heads), r.GetValue(kvHeads), r.GetValue(inter)];
            var o = new LmTrainOptions
            {
                InitFrom = from,
                // With --init-from, any of these given is refused by Validate.
                VocabSize = from != null ? r.GetValue(vocab) : r.GetValue(vocab) ?? LmTrainOptions.DefaultVocabSize,
                Shape = from != null && shapeValues.All(x => x == null) ? null : new LlamaShape(shapeValues[0] ?? shape.Hidden, shapeValues[1] ?? shape.Layers, shapeValues[2] ?? shape.Heads,
                    shapeValues[3] ?? shape.KvHeads, shapeValues[4] ?? shape.Intermediate),
                SeqLen = r.GetValue(seqLen), BatchSize = r.GetValue(batch), GradAccum = r.GetValue(accum), Lr = r.GetValue(lr), MinLr = r.GetValue(minLr),
                WarmupSteps = r.GetValue(warmup), WeightDecay = r.GetValue(wd), MaxGradNorm = r.GetValue(clip), EvalEvery = r.GetValue(evalEvery),
                CheckpointEvery = r.GetValue(ckptEvery), EvalBatchSize = r.GetValue(evalBatch), Seed = (ulong)r.GetValue(seed),
            };
            o = o with { MaxSteps = Steps(r.GetValue(maxSteps), r.GetValue(maxTokens), o) };
            var spec = new LmTrainSpec
            {
                Train = trainDocs, Valid = validDocs, Out = r.GetValue(outDir)!, Options = o, Skipped = skipped,
                CommandLine = "speechtok " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1).Select(Quote)),
            };
            var result = Run(spec);
            var line = result.HeldOut.ToJson();
            line["steps"] = result.Steps; line["tokens_seen"] = result.TokensSeen; line["seconds"] = result.Seconds; line["out"] = result.Out;
            Console.WriteLine(line.ToJsonString());
            return 0;
        });
        return cmd;
    }

    private static int Steps(int? steps, long? tokens, LmTrainOptions o)
    {
        if (steps != null && tokens != null) throw new SpeechTokException("give --max-steps or --max-tokens, not both");
        if (tokens is long t)
        {
            if (t < 1) throw new SpeechTokException($"--max-tokens {t} must be positive");
            long s = t / o.TokensPerStep + (t % o.TokensPerStep != 0 ? 1 : 0); // ceil without t + step − 1, which overflows near long.MaxValue
            return s <= int.MaxValue ? (int)s : throw new SpeechTokException($"--max-tokens {t} means {s} steps, too many");
        }
        return steps ?? o.MaxSteps;
    }

    private static string Quote(string a) => a.Length > 0 && a.All(c => char.IsLetterOrDigit(c) || "-_./=:,+@".Contains(c)) ? a : "'" + a.Replace("'", "'\\''") + "'";

    /// <summary>
    /// A live progress bar (tokens/s, loss, ETA) on a terminal; when the output is redirected, throttled progress lines on
    /// stderr, as finetune and pretrain print them (<see cref="ProgressPrinter"/>).
    /// </summary>
    private static LmTrainResult Run(LmTrainSpec spec)
    {
        if (!AnsiConsole.Profile.Capabilities.Interactive || Console.IsOutputRedirected)
            return LmTrainer.Run(spec, Console.Error.WriteLine, ProgressPrinter.Stderr().Report);
        LmTrainResult? result = null;
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask("preparing", maxValue: spec.Options.MaxSteps);
                result = LmTrainer.Run(spec, msg => AnsiConsole.WriteLine(msg), p =>
                {
                    task.Value = p.Step;
                    task.Description = $"step {p.Step}/{p.Steps} loss {p.Loss:F3} {p.TokensPerSecond:N0} tok/s";
                });
            });
        return result!;
    }
}
