using System.CommandLine;
using SpeechTok.Audio;
using SpeechTok.Codec;
using SpeechTok.Lm.Serialization;
using SpeechTok.Training;

namespace SpeechTok.Cli.Commands;

internal static class FinetuneCommand
{
    public static Command Build()
    {
        var manifest = new Option<string>("--manifest") { Description = "Dataset manifest (CSV) with train/val(/test) splits.", Required = true };
        var codes = new Option<string?>("--codes") { Description = "Code store folder (runs with audio tokens; refused with --text-only or --audio-vector)." };
        var selection = new Option<string?>("--selection") { Description = "selection.json (runs with audio tokens; refused with --text-only or --audio-vector)." };
        var pretrained = new Option<string?>("--pretrained") { Description = "Folder written by `speechtok pretrain`." };
        var noPretrain = new Option<bool>("--no-pretrain") { Description = "Use fresh N(0, 0.02²) audio rows instead of pre-trained ones." };
        var textOnly = new Option<bool>("--text-only") { Description = "Unimodal baseline: BOS + text only." };
        var audioVector = new Option<string?>("--audio-vector") { Description = "The audio-vector system: one utterance vector of this encoder (builtin), linearly projected into the LM, instead of audio tokens." };
        var audioRoot = new Option<string?>("--audio-root") { Description = "Folder the clip paths are relative to (--audio-vector reads the clips; default: the manifest's folder)." };
        // As tokenize's: the audio-vector system then hears what audio-token systems whose codes were made with --mixdown hear.
        var mixdown = new Option<bool>("--mixdown") { Description = "Average all channels of the clips instead of taking channel 0 (--audio-vector, which reads the clips)." };
        var defaults = new FinetuneOptions();
        var model = new Option<string>("--model") { Description = "Hugging Face Llama-family folder, or 'builtin' (the small LM pre-trained on the State of the Union addresses that ships with SpeechTok).", DefaultValueFactory = _ => ModelResolver.Builtin };
        var outDir = new Option<string>("--out") { Description = "Run folder (run.json, seed-S/...). Rerun the same command to resume.", Required = true };
        var system = new Option<string?>("--system") { Description = "System name in results.json (default text-only-llm / audio-vector / audio-lasso / audio-lasso-nopt, as experiment names them)." };
        var ser = CliLists.SerializationOption();
        var maxLen = CliLists.MaxLengthOption();
        var numLabels = new Option<int?>("--num-labels", "--num-classes") { Description = "Class count (default: max label + 1)." };
        var lr = new Option<double>("--lr", "--learning-rate") { Description = "Peak learning rate (AdamW, linear warm-up then linear decay).", DefaultValueFactory = _ => defaults.Lr };
        var epochs = new Option<int?>("--epochs", "--num-train-epochs") { Description = "Most epochs per seed (early stopping may end sooner); default 10, or 5 for binary tasks." };
        var batch = new Option<int>("--batch-size", "--per-device-train-batch-size") { Description = "Samples per optimizer step (HF per_device_train_batch_size).", DefaultValueFactory = _ => defaults.BatchSize };
        var warmup = new Option<double>("--warmup-ratio") { Description = "Fraction of the steps spent warming the learning rate up from 0: max(1, floor(ratio × steps)) steps, as the original trainer (HF's warmup_ratio rounds up); 0: no warm-up.", DefaultValueFactory = _ => defaults.WarmupRatio };
        var patience = new Option<int>("--patience", "--early-stopping-patience") { Description = "Epochs without a better validation score before a seed stops (HF early_stopping_patience).", DefaultValueFactory = _ => defaults.Patience };
        var clip = new Option<double>("--max-grad-norm") { Description = "Gradient clipping by global L2 norm (HF max_grad_norm); 0: no clipping.", DefaultValueFactory = _ => defaults.MaxGradNorm };
        var rank = new Option<int>("--lora-r") { Description = "LoRA rank r (PEFT r).", DefaultValueFactory = _ => defaults.LoraRank };
        var alpha = new Option<float>("--lora-alpha") { Description = "LoRA scaling numerator: updates are scaled by alpha / r (PEFT lora_alpha).", DefaultValueFactory = _ => defaults.LoraAlpha };
        var dropout = new Option<float>("--lora-dropout") { Description = "Dropout on the LoRA input (PEFT lora_dropout).", DefaultValueFactory = _ => defaults.LoraDropout };
        var seeds = new Option<string>("--seeds") { Description = "Comma-separated seeds; one model per seed, bagged at evaluation.", DefaultValueFactory = _ => string.Join(",", defaults.Seeds) };
        var targets = new Option<string>("--lora-target-modules")
        {
            Description = "PEFT target_modules: comma-separated projections (q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj) or all-linear (all seven).",
            DefaultValueFactory = _ => string.Join(",", defaults.LoraTargetModules),
        };
        var finetuningType = new Option<string>("--finetuning-type")
        {
            Description = "lora (adapters + head, PEFT format) or full (every weight + head, HF format; --text-only only).",
            DefaultValueFactory = _ => defaults.FinetuningType,
        }.OneOf(FinetuneOptions.Lora, FinetuneOptions.Full);
        var weightDecay = new Option<double>("--weight-decay") { Description = "AdamW weight decay (none on norms and biases).", DefaultValueFactory = _ => defaults.WeightDecay };
        var metric = CliLists.MetricForBestModelOption();
        var seedWorkers = new Option<int>("--seed-workers")
        {
            Description = "Seeds trained at once, sharing the threads (0 = auto: one per thread for a backbone of at most 20 M parameters, else 1); the numbers do not change.",
            DefaultValueFactory = _ => defaults.SeedWorkers,
        };
        var threads = CliLists.Threads("Threads, one per core by default.");
        var cmd = new Command("finetune", "Step 3: LoRA (q/v by default) + classification head per seed, adapters in PEFT format; or --finetuning-type full (text only: every weight, HF format). Rerun to resume.")
        {
            manifest, codes, selection, pretrained, noPretrain, textOnly, audioVector, audioRoot, mixdown, model, outDir, system, ser, maxLen, numLabels, lr, epochs, batch, warmup, patience,
            clip, rank, alpha, dropout, targets, finetuningType, weightDecay, metric, seeds, seedWorkers, threads,
        };
        cmd.SetAction(r =>
        {
            bool text = r.GetValue(textOnly);
            string? pre = r.GetValue(pretrained), vector = r.GetValue(audioVector) is { } v ? OptionRules.Match(v, UtteranceEncoders.Names) ?? v : null;
            if (vector != null && (text || pre != null || r.GetValue(noPretrain) || r.GetValue(selection) != null))
                throw new SpeechTokException("--audio-vector cannot be combined with --text-only, --selection, --pretrained or --no-pretrain");
            if (!text && vector == null && pre == null && !r.GetValue(noPretrain)) throw new SpeechTokException("pass --pretrained DIR, --no-pretrain, --text-only or --audio-vector NAME");
            if (pre != null && (text || r.GetValue(noPretrain))) throw new SpeechTokException("--pretrained cannot be combined with --no-pretrain or --text-only");
            if (text || vector != null)
                foreach (var tokensOnly in text ? new Option[] { codes, selection, ser, noPretrain, audioRoot } : [codes, selection, ser, noPretrain])
                    if (r.GetResult(tokensOnly) is { Implicit: false })
                        throw new SpeechTokException($"{tokensOnly.Name} is for runs with audio tokens; {(text ? "--text-only" : "--audio-vector")} does not use it");
            FinetuneSpec.RequireMixdownReadsClips(r.GetValue(mixdown), vector != null, text);
            if (r.GetValue(finetuningType) == FinetuneOptions.Full)
                foreach (var loraOnly in new Option[] { rank, alpha, dropout, targets })
                    if (r.GetResult(loraOnly) is { Implicit: false })
                        throw new SpeechTokException($"{loraOnly.Name} is for --finetuning-type lora; full fine-tuning trains every weight and has no adapters");
            if (r.GetValue(system) is { } name && string.IsNullOrWhiteSpace(name)) throw new SpeechTokException("--system is empty; give the name results.json lists the run under");
            Tensors.Threading.Threads = r.GetValue(threads);
            int[] seedList = CliLists.Seeds(r.GetValue(seeds)) ?? [];
            var m = Manifest.Load(r.GetValue(manifest)!, r.GetValue(audioRoot), r.GetValue(numLabels), OptionRules.Given(r, numLabels));
            var spec = new FinetuneSpec
            {
                Manifest = m, Codes = r.GetValue(codes), Selection = r.GetValue(selection), Pretrained = pre, TextOnly = text, AudioEncoder = vector, Mixdown = r.GetValue(mixdown),
                Model = ModelResolver.Resolve(r.GetValue(model)!),
                Out = r.GetValue(outDir)!, System = r.GetValue(system), Serialization = SampleSerializer.ParseMode(r.GetValue(ser)!), MaxLength = r.GetValue(maxLen),
                Options = new FinetuneOptions
                {
                    Lr = r.GetValue(lr), Epochs = r.GetValue(epochs), BatchSize = r.GetValue(batch), WarmupRatio = r.GetValue(warmup),
                    Patience = r.GetValue(patience), LoraRank = r.GetValue(rank), LoraAlpha = r.GetValue(alpha), LoraDropout = r.GetValue(dropout), Seeds = seedList,
                    LoraTargetModules = CliLists.LoraTargets(r.GetValue(targets)!),
                    FinetuningType = r.GetValue(finetuningType)!, WeightDecay = r.GetValue(weightDecay), MaxGradNorm = r.GetValue(clip),
                    MetricForBestModel = r.GetValue(metric), SeedWorkers = r.GetValue(seedWorkers),
                },
            };
            FinetuneRun.Run(spec, Console.Error.WriteLine, progress: ProgressPrinter.Stderr().Report);
            return 0;
        });
        return cmd;
    }
}
