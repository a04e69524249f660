using System.CommandLine;
using System.Text.Json.Nodes;
using SpeechTok.Audio;
using SpeechTok.Codec;
using SpeechTok.Training;

namespace SpeechTok.Cli.Commands;

internal static class PredictCommand
{
    public static Command Build()
    {
        var run = new Option<string>("--run") { Description = "Run folder written by `speechtok finetune`.", Required = true };
        var text = new Option<string>("--text") { Required = true };
        var audio = new Option<string?>("--audio") { Description = "Audio clip (needed unless the run is text-only)." };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "Speech tokenizer folder that made the run's codes." };
        var cmd = new Command("predict", "Class probabilities of one sample, averaged over the run's seeds.") { run, text, audio, tokenizer };
        cmd.SetAction(r =>
        {
            int[][]? codes = null;
            if (r.GetValue(audio) is { } wav)
            {
                var tokDir = r.GetValue(tokenizer) ?? throw new SpeechTokException("--audio needs --tokenizer DIR (the speech tokenizer of the run's code store)");
                var meta = RunFiles.ReadJson(Path.Combine(r.GetValue(run)!, FinetuneRun.RunFile));
                string? expected = meta["codes_tokenizer"]?.GetValue<string>();
                string identity = TokenizerLoader.Identity(tokDir);
                if (expected != null && expected != identity)
                    throw new SpeechTokException($"tokenizer '{tokDir}' ({identity}) is not the one of the run's codes ({expected})");
                codes = TokenizerLoader.Load(tokDir).Encode(AudioLoader.Load(wav));
            }
            var probs = Evaluation.Predict(r.GetValue(run)!, r.GetValue(text)!, codes);
            Console.WriteLine(new JsonObject { ["probabilities"] = RunFiles.ToJson(probs.Select(p => (double)p)), ["prediction"] = ClassificationMetrics.Argmax(probs) }.ToJsonString());
            return 0;
        });
        return cmd;
    }
}
