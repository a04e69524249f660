using System.CommandLine;
using SpeechTok.Audio;
using SpeechTok.IO;
using SpeechTok.Training;

namespace SpeechTok.Cli.Commands;

internal static class PredictCommand
{
    public static Command Build()
    {
        var run = new Option<string>("--run") { Description = "Run folder written by `speechtok finetune`.", Required = true };
        var text = new Option<string?>("--text") { Description = "One sample: its text." };
        var audio = new Option<string?>("--audio") { Description = "One sample: its audio clip (needed unless the run is text-only)." };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "One sample: the speech tokenizer folder that made the run's codes (runs with audio tokens)." };
        var manifest = new Option<string?>("--manifest") { Description = "Batch: a manifest whose --split is predicted into --out (JSON lines); its label column is optional (unlabelled data)." };
        var split = new Option<string>("--split") { Description = "Batch: the split to predict.", DefaultValueFactory = _ => "test" }.OneOf(Manifest.SplitNames);
        var outPath = new Option<string?>("--out") { Description = "Batch: output file, one JSON object a sample (key, id, labels when the manifest has them, probabilities, prediction or predicted_labels, and their names when the classes have them)." };
        var codes = new Option<string?>("--codes") { Description = "Batch: code store with the manifest's codes (default: the run's)." };
        var audioRoot = new Option<string?>("--audio-root") { Description = "Batch: folder the clip paths are relative to (default: the manifest's folder)." };
        var threads = CliLists.Threads("Threads, one per core by default.");
        var cmd = new Command("predict", "Bagged probabilities (mean over the run's seeds) of one sample (--text, --audio) or of a manifest split (--manifest, --out).")
            { run, text, audio, tokenizer, manifest, split, outPath, codes, audioRoot, threads };
        cmd.SetAction(r =>
        {
            Tensors.Threading.Threads = r.GetValue(threads);
            string runDir = r.GetValue(run)!;
            var meta = RunFile.LoadFromRun(runDir);
            // An option the run does not use is refused rather than ignored: the user believes it shaped the prediction
            // (--audio and --tokenizer by RunEvaluation.PredictFiles).
            if (meta.Selection == null && r.GetValue(codes) != null)
                throw new SpeechTokException($"{Path.Combine(runDir, RunFile.FileName)}: the run is {meta.InputKind}, so --codes is not used; drop it");
            if (meta.TextOnly && r.GetResult(audioRoot) is { Implicit: false })
                throw new SpeechTokException($"{Path.Combine(runDir, RunFile.FileName)}: the run is text-only and reads no clip, so --audio-root is not used; drop it");
            if (r.GetValue(manifest) is { } m)
            {
                if (r.GetValue(text) != null || r.GetValue(audio) != null || r.GetValue(tokenizer) != null)
                    throw new SpeechTokException("--manifest (batch) excludes --text, --audio and --tokenizer (one sample; a batch reads its codes from --codes)");
                var o = r.GetValue(outPath) ?? throw new SpeechTokException("--manifest needs --out FILE");
                var parsed = Manifest.LoadToPredict(m, r.GetValue(audioRoot), r.GetValue(split)!, meta.TaskKind, meta.NumLabels, $"{Path.Combine(runDir, RunFile.FileName)} num_labels");
                int n = RunEvaluation.PredictSplit(runDir, parsed, r.GetValue(split)!, o, r.GetValue(codes), Console.Error.WriteLine);
                Console.WriteLine($"{n} predictions → {Path.GetFullPath(o)}");
                return 0;
            }
            var sampleText = r.GetValue(text) ?? throw new SpeechTokException("pass --text (one sample) or --manifest and --out (a split)");
            foreach (var batchOnly in new Option[] { outPath, codes, audioRoot, split })
                if (r.GetResult(batchOnly) is { Implicit: false }) throw new SpeechTokException($"{batchOnly.Name} is for batch prediction (--manifest); one sample (--text) does not use it");
            var names = RunEvaluation.LabelNames(runDir, meta); // before the model runs: a bad sidecar fails first
            var probs = RunEvaluation.PredictFiles(runDir, sampleText, r.GetValue(audio), r.GetValue(tokenizer), Console.Error.WriteLine);
            Console.WriteLine(ArtifactJson.ToNode(SamplePrediction.Of(meta.TaskKind, probs, names)).ToJsonString());
            return 0;
        });
        return cmd;
    }
}
