using System.CommandLine;
using SpeechTok.Audio;
using SpeechTok.Training;

namespace SpeechTok.Cli.Commands;

internal static class FinetuneCommand
{
    public static Command Build()
    {
        var manifest = new Option<string>("--manifest") { Description = "Dataset manifest (CSV) with train/val(/test) splits.", Required = true };
        var codes = new Option<string?>("--codes") { Description = "Code store folder (not needed with --text-only)." };
        var selection = new Option<string?>("--selection") { Description = "selection.json (not needed with --text-only)." };
        var pretrained = new Option<string?>("--pretrained") { Description = "Folder written by `speechtok pretrain`." };
        var noPretrain = new Option<bool>("--no-pretrain") { Description = "Use fresh N(0, 0.02²) audio rows instead of pre-trained ones." };
        var textOnly = new Option<bool>("--text-only") { Description = "Unimodal baseline: BOS + text only." };
        var audioVector = new Option<string?>("--audio-vector") { Description = "The audio-vector system: one utterance vector of this encoder (builtin), linearly projected into the LM, instead of audio tokens." };
        var audioRoot = new Option<string?>("--audio-root") { Description = "Folder the clip paths are relative to (--audio-vector reads the clips; default: the manifest's folder)." };
        var model = new Option<string>("--model") { Description = "Hugging Face model folder, or 'builtin'.", DefaultValueFactory = _ => "builtin" };
        var cache = new Option<string?>("--cache") { Description = "Cache folder of the built-in LM." };
        var outDir = new Option<string>("--out") { Description = "Run folder (run.json, seed-S/...). Rerun the same command to resume.", Required = true };
        var system = new Option<string?>("--system") { Description = "System name in results.json (default text-only-llm / audio-vector / audio-lasso / audio-lasso-no-pretrain)." };
        var ser = new Option<string>("--serialization") { DefaultValueFactory = _ => "compact" };
        var maxLen = new Option<int>("--max-length") { DefaultValueFactory = _ => 256 };
        var numLabels = new Option<int?>("--num-labels") { Description = "Class count (default: max label + 1)." };
        var lr = new Option<double>("--lr") { DefaultValueFactory = _ => 1e-3 };
        var epochs = new Option<int?>("--epochs") { Description = "Default 10, or 5 for binary tasks." };
        var batch = new Option<int>("--batch-size") { DefaultValueFactory = _ => 32 };
        var warmup = new Option<double>("--warmup-ratio") { DefaultValueFactory = _ => 0.05 };
        var patience = new Option<int>("--patience") { DefaultValueFactory = _ => 3 };
        var rank = new Option<int>("--lora-r") { DefaultValueFactory = _ => 64 };
        var alpha = new Option<float>("--lora-alpha") { DefaultValueFactory = _ => 16f };
        var dropout = new Option<float>("--lora-dropout") { DefaultValueFactory = _ => 0.1f };
        var seeds = new Option<string>("--seeds") { DefaultValueFactory = _ => "42,100,6,10,420" };
        var cmd = new Command("finetune", "Step 3: LoRA (q/v) + classification head per seed; adapters in PEFT format. Rerun to resume.")
            { manifest, codes, selection, pretrained, noPretrain, textOnly, audioVector, audioRoot, model, cache, outDir, system, ser, maxLen, numLabels, lr, epochs, batch, warmup, patience, rank, alpha, dropout, seeds };
        cmd.SetAction(r =>
        {
            bool text = r.GetValue(textOnly);
            string? pre = r.GetValue(pretrained), vector = r.GetValue(audioVector);
            if (vector != null && (text || pre != null || r.GetValue(noPretrain) || r.GetValue(selection) != null))
                throw new SpeechTokException("--audio-vector cannot be combined with --text-only, --selection, --pretrained or --no-pretrain");
            if (!text && vector == null && pre == null && !r.GetValue(noPretrain)) throw new SpeechTokException("pass --pretrained DIR, --no-pretrain, --text-only or --audio-vector NAME");
            if (pre != null && (text || r.GetValue(noPretrain))) throw new SpeechTokException("--pretrained cannot be combined with --no-pretrain or --text-only");
            int[] seedList = CliLists.Seeds(r.GetValue(seeds)) ?? [];
            if (seedList.Length == 0 || seedList.Distinct().Count() != seedList.Length) throw new SpeechTokException("--seeds must list distinct integers");
            var m = Manifest.Load(r.GetValue(manifest)!, numClasses: r.GetValue(numLabels));
            var spec = new FinetuneSpec
            {
                Manifest = r.GetValue(manifest)!, Codes = r.GetValue(codes), Selection = r.GetValue(selection), Pretrained = pre, TextOnly = text,
                AudioEncoder = vector, AudioRoot = r.GetValue(audioRoot),
                Model = ModelResolver.Resolve(r.GetValue(model)!, m, r.GetValue(cache), log: Console.Error.WriteLine),
                Out = r.GetValue(outDir)!, System = r.GetValue(system), Serialization = r.GetValue(ser)!, MaxLength = r.GetValue(maxLen),
                NumLabels = r.GetValue(numLabels),
                Options = new FinetuneOptions
                {
                    Lr = r.GetValue(lr), Epochs = r.GetValue(epochs), BatchSize = r.GetValue(batch), WarmupRatio = r.GetValue(warmup),
                    Patience = r.GetValue(patience), LoraRank = r.GetValue(rank), LoraAlpha = r.GetValue(alpha), LoraDropout = r.GetValue(dropout), Seeds = seedList,
                },
            };
            FinetuneRun.Run(spec, Console.Error.WriteLine);
            return 0;
        });
        return cmd;
    }
}
