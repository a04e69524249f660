using SpeechTok.Lm.Serialization;
using SpeechTok.Training;

namespace SpeechTok.Tests.Training;

/// <summary>
/// A max length that cuts the audio tokens: pre-training and fine-tuning refuse one that cuts every sample's and warn,
/// with the counts, when it cuts some (<see cref="EncodedSet.RequireAudioKept"/>).
/// </summary>
public sealed class AudioTruncationTests
{
    private static EncodedSet Set(params AudioTokenSpan[] audio) =>
        new("train", audio.Select((_, i) => $"train/{i}").ToArray(), audio.Select(_ => new[] { 1 }).ToArray(), audio.Select(_ => new[] { 0 }).ToArray(), new bool[audio.Length])
        { Audio = audio };

    [Fact]
    public void Every_audio_token_cut_is_one_error_with_the_count_and_the_lengths_that_keep_them()
    {
        // two samples lose all their audio tokens; the third has none (a clip none of whose codes was selected)
        var set = Set(new AudioTokenSpan(5, 9, 5, 0), new AudioTokenSpan(7, 8, 2, 0), default);
        var log = new List<string>();
        var e = Assert.Throws<SpeechTokException>(() => set.RequireAudioKept("--max-length", 5, log.Add));
        Assert.Equal("--max-length 5 cuts every audio token of the train samples: all 2 samples with audio tokens lose them; " +
            "--max-length 8 keeps at least one in every sample, 10 keeps them all", e.Message);
        Assert.Empty(log);
        Assert.StartsWith("preset 'paper' max length 5 cuts every audio token", Assert.Throws<SpeechTokException>(() => set.RequireAudioKept("preset 'paper' max length", 5, null)).Message);
    }

    [Fact]
    public void Some_audio_tokens_cut_is_a_warning_with_the_counts()
    {
        var log = new List<string>();
        Set(new AudioTokenSpan(5, 9, 5, 0), new AudioTokenSpan(3, 8, 6, 2), new AudioTokenSpan(1, 3, 3, 3)).RequireAudioKept("--max-length", 5, log.Add);
        Assert.Equal(["warning: --max-length 5 cuts audio tokens of 2 of the 3 train samples with audio tokens (none left in 1 of them, e.g. train/0); --max-length 10 keeps them all"], log);
        log.Clear();
        Set(new AudioTokenSpan(3, 8, 6, 2), new AudioTokenSpan(1, 3, 3, 3)).RequireAudioKept("--max-length", 5, log.Add);
        Assert.Equal(["warning: --max-length 5 cuts audio tokens of 1 of the 2 train samples with audio tokens (each keeps some); --max-length 9 keeps them all"], log);
    }

    /// <summary>A fine-tuned run's max length is fixed: samples predicted with it whose audio tokens it cuts are a warning
    /// (every one cut included), never an error.</summary>
    [Fact]
    public void Prediction_warns_when_the_runs_max_length_cuts_audio_tokens()
    {
        var log = new List<string>();
        Set(new AudioTokenSpan(5, 9, 5, 0), new AudioTokenSpan(7, 8, 2, 0)).WarnAudioCut("the run's max_length 5 (run.json)", log.Add);
        Assert.Equal(["warning: the run's max_length 5 (run.json) cuts audio tokens of 2 of the 2 train samples with audio tokens (none left in 2 of them, e.g. train/0); " +
            "their predictions read only the audio tokens kept (fine-tune with a max length of 10 to keep them all)"], log);
        log.Clear();
        Set(new AudioTokenSpan(1, 3, 3, 3), default).WarnAudioCut("the run's max_length 5 (run.json)", log.Add);
        Assert.Empty(log);
    }

    /// <summary>
    /// A walkthrough: <c>finetune --text-only --max-length 1</c> trained on the BOS alone and said nothing (run.json counted
    /// the cuts), while a run with audio tokens warns or refuses. Runs without audio tokens now warn the same way, and so
    /// does prediction with such a run.
    /// </summary>
    [Fact]
    public void Text_only_fine_tuning_and_prediction_warn_when_the_max_length_cuts_the_samples()
    {
        using var d = new ToyData(perSplit: 8);
        string model = d.Model(), run = Path.Combine(d.Dir, "run");
        var (code, _, err) = CliRunner.Run("finetune", "--manifest", d.Manifest, "--text-only", "--model", model, "--out", run, "--max-length", "1",
            "--seeds", "1", "--epochs", "1", "--batch-size", "8", "--lora-r", "4", "--threads", "1");
        Assert.True(code == 0, err);
        int keepsAll = 0;
        foreach (string split in new[] { "train", "val", "test" })
        {
            var m = System.Text.RegularExpressions.Regex.Match(err, $@"warning: --max-length 1 cuts 8 of the 8 {split} samples on the right \(e\.g\. {split}/0 keeps 1 of its (\d+) tokens; "
                + @"every sample keeps only its first token, so nothing of its text is read\); --max-length (\d+) keeps them all\n");
            Assert.True(m.Success, err);
            Assert.True(int.Parse(m.Groups[1].Value) > 1);
            keepsAll = Math.Max(keepsAll, int.Parse(m.Groups[2].Value));
        }
        // the length it names keeps every sample whole: no warning then
        var log = new List<string>();
        FinetuneRun.Run(new FinetuneSpec { Manifest = d.Parsed(), Model = model, Out = Path.Combine(d.Dir, "whole"), TextOnly = true, MaxLength = keepsAll,
            Options = TrainingTests.Small(1) with { Epochs = 1 } }, log.Add);
        Assert.DoesNotContain(log, l => l.StartsWith("warning:", StringComparison.Ordinal));
        // predicting with the run cuts the same way: said as for audio tokens
        log.Clear();
        RunEvaluation.Predict(run, "the cat sat alpha", null, null, log.Add);
        var line = Assert.Single(log);
        Assert.Matches(@"^warning: the run's max_length 1 \(run.json\) cuts 1 of the 1 predict samples on the right \(e\.g\. 0 keeps 1 of its \d+ tokens; every sample keeps only "
            + @"its first token, so nothing of its text is read\); their predictions read only the tokens kept \(fine-tune with a max length of \d+ to keep them all\)$", line);
    }

    [Fact]
    public void Nothing_cut_or_no_audio_tokens_is_silent()
    {
        var log = new List<string>();
        Set(new AudioTokenSpan(1, 3, 3, 3), default).RequireAudioKept("--max-length", 5, log.Add);
        (Set(new AudioTokenSpan(5, 9, 5, 0)) with { Audio = null }).RequireAudioKept("--max-length", 1, log.Add); // text only, or not made by Encode
        Assert.Empty(log);
        // audio tokens in the vocabulary, but in no sample: refused (a selection from other codes)
        Assert.Contains("none of the 2 train samples contains one of the selection's audio tokens",
            Assert.Throws<SpeechTokException>(() => Set(default, default).RequireAudioKept("--max-length", 1, log.Add)).Message);
    }

    [Fact]
    public void The_span_counts_the_audio_tokens_the_max_length_keeps_even_when_text_lies_between_them()
    {
        int[] full = [1, 2, 90, 3, 91, 3, 92, 4]; // the reference layout puts a space token between audio tokens
        Assert.Equal(new AudioTokenSpan(2, 6, 3, 2), AudioTokenSpan.Find(full, 5, t => t >= 90));
        Assert.Equal(new AudioTokenSpan(2, 6, 3, 0), AudioTokenSpan.Find(full, 2, t => t >= 90));
        Assert.True(AudioTokenSpan.Find(full, 2, t => t >= 90).AllCut);
        Assert.False(AudioTokenSpan.Find(full, 7, t => t >= 90).Cut);
        Assert.Equal(default, AudioTokenSpan.Find(full, 8, t => t > 100));
    }
}
