using System.CommandLine;
using SpeechTok.Audio;
using SpeechTok.Lm.Serialization;
using SpeechTok.Training;

namespace SpeechTok.Cli.Commands;

internal static class PretrainCommand
{
    public static Command Build()
    {
        var manifest = new Option<string>("--manifest") { Description = "Dataset manifest (CSV); every split is pre-training text.", Required = true };
        var codes = new Option<string>("--codes") { Description = "Code store folder (speechtok tokenize).", Required = true };
        var selection = new Option<string>("--selection") { Description = "selection.json (speechtok select).", Required = true };
        var defaults = new PretrainOptions();
        var model = new Option<string>("--model") { Description = "Hugging Face Llama-family folder, or 'builtin' (the small LM pre-trained on the State of the Union addresses that ships with SpeechTok).", DefaultValueFactory = _ => ModelResolver.Builtin };
        var outDir = new Option<string>("--out") { Description = "Output folder (rows.safetensors, pretrain.json, checkpoint/).", Required = true };
        var ser = CliLists.SerializationOption();
        var maxLen = CliLists.MaxLengthOption();
        var lr = new Option<double>("--lr", "--learning-rate") { Description = "Peak learning rate of the new rows (AdamW, warm-up then linear decay).", DefaultValueFactory = _ => defaults.Lr };
        var epochs = new Option<int>("--epochs", "--num-train-epochs") { Description = "Most epochs (early stopping may end sooner).", DefaultValueFactory = _ => defaults.Epochs };
        var batch = new Option<int>("--batch-size", "--per-device-train-batch-size") { Description = "Samples per forward pass (HF per_device_train_batch_size).", DefaultValueFactory = _ => defaults.BatchSize };
        var accum = new Option<int>("--gradient-accumulation-steps", "--accumulation") { Description = "Batches whose gradients are summed per optimizer step (HF gradient_accumulation_steps).", DefaultValueFactory = _ => defaults.Accumulation }
            .AtLeast(1);
        var warmup = new Option<double>("--warmup-ratio") { Description = "Fraction of the steps spent warming the learning rate up from 0: max(1, floor(ratio × steps)) steps, as the original trainer (HF's warmup_ratio rounds up); 0: no warm-up.", DefaultValueFactory = _ => defaults.WarmupRatio };
        var evalFrac = new Option<double>("--eval-fraction") { Description = "Share of the pre-training lines held out for evaluation.", DefaultValueFactory = _ => defaults.EvalFraction };
        var evals = new Option<int>("--evals-per-epoch") { Description = "Held-out evaluations per epoch, as HF's eval_steps: one every floor(updates per epoch / N) updates (at least 1), counted over the whole run, so epochs can get uneven counts; each may keep a new best and counts towards patience, and updates after the last evaluation are never kept.", DefaultValueFactory = _ => defaults.EvalsPerEpoch };
        var patience = new Option<int>("--patience", "--early-stopping-patience") { Description = "Evaluations without a lower held-out loss before training stops.", DefaultValueFactory = _ => defaults.Patience };
        var clip = new Option<double>("--max-grad-norm") { Description = "Gradient clipping by global L2 norm (HF max_grad_norm); 0: no clipping.", DefaultValueFactory = _ => defaults.MaxGradNorm };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the new rows' initialisation, the held-out split and the batch order.", DefaultValueFactory = _ => defaults.Seed };
        var audioRoot = new Option<string?>("--audio-root") { Description = "Folder the clip paths are relative to (default: the manifest's folder); the codes are checked against the clips found there." };
        var threads = CliLists.Threads("Threads, one per core by default.");
        var cmd = new Command("pretrain", "Step 2: train the embedding rows of the selected audio tokens and the 4 markers (causal LM, frozen backbone). Rerun to resume.")
            { manifest, codes, selection, model, outDir, ser, maxLen, lr, epochs, batch, accum, warmup, evalFrac, evals, patience, clip, seed, audioRoot, threads };
        cmd.SetAction(r =>
        {
            Tensors.Threading.Threads = r.GetValue(threads);
            var m = Manifest.Load(r.GetValue(manifest)!, r.GetValue(audioRoot));
            var spec = new PretrainSpec
            {
                Manifest = m, Codes = r.GetValue(codes)!, Selection = r.GetValue(selection)!, Out = r.GetValue(outDir)!,
                Model = ModelResolver.Resolve(r.GetValue(model)!),
                Serialization = SampleSerializer.ParseMode(r.GetValue(ser)!), MaxLength = r.GetValue(maxLen),
                Options = new PretrainOptions
                {
                    Lr = r.GetValue(lr), Epochs = r.GetValue(epochs), BatchSize = r.GetValue(batch), Accumulation = r.GetValue(accum),
                    WarmupRatio = r.GetValue(warmup), EvalFraction = r.GetValue(evalFrac), EvalsPerEpoch = r.GetValue(evals),
                    Patience = r.GetValue(patience), MaxGradNorm = r.GetValue(clip), Seed = r.GetValue(seed),
                },
            };
            var res = spec.Run(Console.Error.WriteLine, progress: ProgressPrinter.Stderr().Report);
            Console.WriteLine($"{{\"best_eval_loss\":{res.BestEvalLoss:R},\"best_step\":{res.BestStep},\"out\":\"{Path.GetFullPath(spec.Out).Replace("\\", "\\\\")}\"}}");
            return 0;
        });
        return cmd;
    }
}
