using System.Text.Json.Nodes;
using SpeechTok.Codec.Store;
using SpeechTok.Lm.Serialization;
using SpeechTok.Training;

namespace SpeechTok.Tests.Training;

/// <summary>
/// <see cref="RunEvaluation.Predict(string, IReadOnlyList{string}, IReadOnlyList{int[][]}, IReadOnlyList{float[]}, Action{string})"/>:
/// in-memory samples for library users, with the checks of <c>predict --audio</c> (<see cref="RunEvaluation.PredictFiles"/>).
/// The one-sample form loaded the model for every sample and ignored a clip or codes the run does not take.
/// </summary>
public sealed class RunPredictTests
{
    [Fact]
    public void A_batch_in_memory_gives_the_split_predictions_and_the_inputs_are_checked_as_predict_from_files_does()
    {
        using var d = new ToyData(perSplit: 8);
        string run = Path.Combine(d.Dir, "run");
        FinetuneRun.Run(new FinetuneSpec { Manifest = d.Parsed(), Codes = d.Codes, Selection = d.Selection, Model = d.Model(), Out = run, Options = TrainingTests.Small(1, 2) });
        var test = d.Parsed().Split("test");
        int[][][] codes;
        using (var store = CodeStore.Open(d.Codes)) codes = [.. test.Select(s => store.Get(s))];
        string[] texts = [.. test.Select(s => s.Text)];

        var batch = RunEvaluation.Predict(run, texts, codes);
        string outPath = Path.Combine(d.Dir, "test.jsonl");
        RunEvaluation.PredictSplit(run, d.Parsed(), "test", outPath);
        var rows = File.ReadAllLines(outPath).Select(l => JsonNode.Parse(l)!["probabilities"]!.AsArray().Select(v => v!.GetValue<float>()).ToArray()).ToList();
        Assert.Equal(test.Count, batch.Length);
        for (int i = 0; i < test.Count; i++)
        {
            Assert.Equal(rows[i], batch[i]); // the same batches as the split's
            var one = RunEvaluation.Predict(run, texts[i], codes[i]);
            for (int c = 0; c < one.Length; c++) Assert.Equal(batch[i][c], one[c], 5);
        }

        string runJson = Path.Combine(run, RunFile.FileName);
        string Error(Action a) => Assert.Throws<SpeechTokException>(a).Message;
        Assert.Equal($"{runJson}: the run uses audio tokens; pass 'codes'", Error(() => RunEvaluation.Predict(run, texts)));
        Assert.Equal($"{runJson}: the run uses audio tokens; pass 'codes'", Error(() => RunEvaluation.Predict(run, texts[0], null)));
        Assert.Equal($"{runJson}: the run is a run with audio tokens, so 'wav' is not used; drop it", Error(() => RunEvaluation.Predict(run, texts[0], codes[0], new float[16000])));
        Assert.Equal($"{runJson}: the run is a run with audio tokens, so 'wavs' is not used; drop it", Error(() => RunEvaluation.Predict(run, texts, codes, [.. texts.Select(_ => new float[16000])])));
        Assert.Equal($"{texts.Length} texts but 2 items in 'codes'", Error(() => RunEvaluation.Predict(run, texts, codes[..2])));
        Assert.Equal("no sample to predict: the texts are empty", Error(() => RunEvaluation.Predict(run, Array.Empty<string>(), Array.Empty<int[][]>())));
        Assert.Equal("sample 1: codes have 1 RVQ layers; layer 2 is used", Error(() => RunEvaluation.Predict(run, texts[..2], [codes[0], codes[1][..1]])));
        // The same check from files, naming the options.
        Assert.Equal($"{runJson}: the run uses audio tokens; pass --audio and --tokenizer", Error(() => RunEvaluation.PredictFiles(run, texts[0], null, null)));
    }

    /// <summary><c>predict --manifest</c> warned when the run's max length cut a sample's audio tokens; one sample
    /// (<c>predict --text --audio</c>) was predicted from what was left, silently.</summary>
    [Fact]
    public void One_sample_whose_audio_tokens_the_max_length_cuts_is_warned_about_as_a_batch_is()
    {
        using var d = new ToyData(perSplit: 8);
        string run = Path.Combine(d.Dir, "run");
        FinetuneRun.Run(new FinetuneSpec { Manifest = d.Parsed(), Codes = d.Codes, Selection = d.Selection, Model = d.Model(), Out = run, Options = TrainingTests.Small(1) });
        int[][] codes = [[3, 3, 1], [0, 2, 4]];
        var log = new List<string>();
        RunEvaluation.Predict(run, "the cat sat alpha", codes, log: log.Add);
        Assert.Empty(log);
        RunEvaluation.Predict(run, string.Join(" ", Enumerable.Repeat("the cat sat alpha", 200)), codes, log: log.Add); // the text fills the max length
        Assert.StartsWith($"warning: the run's max_length {SampleSerializer.DefaultMaxLength} (run.json) cuts audio tokens of 1 of the 1 predict samples with audio tokens (none left in 1 of them", Assert.Single(log));
        Assert.Contains("their predictions read only the audio tokens kept", log[0]);
    }
}
