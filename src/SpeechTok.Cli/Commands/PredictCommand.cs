using System.CommandLine;
using System.Text.Json.Serialization;
using SpeechTok.Audio;
using SpeechTok.Codec;
using SpeechTok.Evaluation;
using SpeechTok.IO;
using SpeechTok.Training;

namespace SpeechTok.Cli.Commands;

internal static class PredictCommand
{
    /// <summary>What <c>predict</c> prints: one JSON line.</summary>
    private sealed record Prediction(
        [property: JsonPropertyName("probabilities")] float[] Probabilities,
        [property: JsonPropertyName("prediction")] int Label);

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
                string? expected = RunFile.Load(Path.Combine(r.GetValue(run)!, RunFile.FileName)).CodesTokenizer;
                string identity = TokenizerLoader.Identity(tokDir);
                if (expected != null && expected != identity)
                    throw new SpeechTokException($"tokenizer '{tokDir}' ({identity}) is not the one of the run's codes ({expected})");
                codes = TokenizerLoader.Load(tokDir).Encode(AudioLoader.Load(wav));
            }
            var probs = RunEvaluation.Predict(r.GetValue(run)!, r.GetValue(text)!, codes);
            Console.WriteLine(ArtifactJson.ToNode(new Prediction(probs, ClassificationMetrics.Argmax(probs))).ToJsonString());
            return 0;
        });
        return cmd;
    }
}
