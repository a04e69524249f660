using SpeechTok.Training;

namespace SpeechTok.Tests.Training;

/// <summary>
/// A run was tied to its model folder and pre-training folder by path only: weights replaced at the same path gave
/// predict other probabilities than evaluate's, and a resumed run trained its first epoch on old pre-trained rows and
/// the rest on new ones, all without a word.
/// </summary>
public sealed class ModelStampTests
{
    [Fact]
    public void A_model_folder_changed_since_fine_tuning_is_refused_by_predict_and_by_a_rerun()
    {
        using var d = new ToyData();
        var spec = new FinetuneSpec { Manifest = d.Parsed(), Model = d.Model(), Out = Path.Combine(d.Dir, "run"), TextOnly = true, Options = TrainingTests.Small(1) };
        FinetuneRun.Run(spec);
        RunEvaluation.Predict(spec.Out, "the cat sat alpha", null);
        File.SetLastWriteTimeUtc(Path.Combine(spec.Model, "model.safetensors"), DateTime.UtcNow.AddHours(1)); // weights written again
        Assert.Contains($"the model folder {spec.Model} changed since this run was fine-tuned", Assert.Throws<SpeechTokException>(() => RunEvaluation.Predict(spec.Out, "the cat sat alpha", null)).Message);
        Assert.Contains("'model_stamp' differs", Assert.Throws<SpeechTokException>(() => FinetuneRun.Run(spec)).Message);
    }

    /// <summary>predict on a killed run failed with a raw "could not find file …new_rows.safetensors".</summary>
    [Fact]
    public void Predict_on_an_unfinished_run_says_which_seed_is_missing()
    {
        using var d = new ToyData();
        var spec = new FinetuneSpec { Manifest = d.Parsed(), Model = d.Model(), Out = Path.Combine(d.Dir, "run"), TextOnly = true, Options = TrainingTests.Small(1) };
        Assert.Throws<OperationCanceledException>(() => FinetuneRun.Run(spec, afterStep: _ => throw new OperationCanceledException()));
        Assert.Equal($"{spec.Out}: seed 1 has not finished (no done.json); rerun the finetune command to finish the run",
            Assert.Throws<SpeechTokException>(() => RunEvaluation.Predict(spec.Out, "the cat sat alpha", null)).Message);
    }

    [Fact]
    public void A_pre_training_folder_made_again_is_refused_by_a_rerun()
    {
        using var d = new ToyData();
        string pre = Path.Combine(d.Dir, "pre");
        var pt = new PretrainSpec { Manifest = d.Parsed(), Codes = d.Codes, Selection = d.Selection, Model = d.Model(), Out = pre, Options = new PretrainOptions { Epochs = 1, BatchSize = 4, Accumulation = 1 } };
        pt.Run();
        var spec = new FinetuneSpec { Manifest = d.Parsed(), Codes = d.Codes, Selection = d.Selection, Model = d.Model(), Pretrained = pre, Out = Path.Combine(d.Dir, "run"), Options = TrainingTests.Small(1) };
        FinetuneRun.Run(spec);
        Directory.Delete(pre, true);
        (pt with { Options = pt.Options with { Lr = 1e-2 } }).Run();
        Assert.Contains("'pretrained_sha256' differs", Assert.Throws<SpeechTokException>(() => FinetuneRun.Run(spec)).Message);
    }
}
