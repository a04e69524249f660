using System.Security.Cryptography;
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
    public void A_model_folder_changed_since_fine_tuning_is_refused_by_predict_and_by_a_rerun_and_a_touched_one_is_not()
    {
        using var d = new ToyData();
        var spec = new FinetuneSpec { Manifest = d.Parsed(), Model = d.Model(), Out = Path.Combine(d.Dir, "run"), TextOnly = true, Options = TrainingTests.Small(1) };
        FinetuneRun.Run(spec);
        string weights = Path.Combine(spec.Model, "model.safetensors");
        File.SetLastWriteTimeUtc(weights, DateTime.UtcNow.AddHours(1)); // touched: the same bytes
        var before = RunEvaluation.Predict(spec.Out, "the cat sat alpha", null);
        FinetuneRun.Run(spec);
        FlipLastByte(weights); // written again with other bytes
        Assert.Contains($"the model folder {spec.Model} changed since this run was fine-tuned", Assert.Throws<SpeechTokException>(() => RunEvaluation.Predict(spec.Out, "the cat sat alpha", null)).Message);
        Assert.Contains("'model_stamp' differs", Assert.Throws<SpeechTokException>(() => FinetuneRun.Run(spec)).Message);
        FlipLastByte(weights); // restored
        Assert.Equal(before, RunEvaluation.Predict(spec.Out, "the cat sat alpha", null));
    }

    /// <summary>The stamp hashed the weight files' names, sizes and modification times: a copied or touched folder lost its
    /// runs, and weights rewritten to the same size within one clock tick kept them. It now hashes the bytes.</summary>
    [Fact]
    public void The_stamp_follows_the_bytes_so_a_copied_and_touched_folder_keeps_it_and_one_edited_byte_changes_it()
    {
        using var d = new ToyData();
        string model = d.Model(), copy = Path.Combine(d.Dir, "copy");
        string stamp = ModelResolver.Stamp(model)!;
        Assert.StartsWith(ModelResolver.StampPrefix, stamp);
        Directory.CreateDirectory(copy);
        foreach (var f in Directory.GetFiles(model))
        {
            string to = Path.Combine(copy, Path.GetFileName(f));
            File.Copy(f, to);
            File.SetLastWriteTimeUtc(to, DateTime.UtcNow.AddHours(2));
        }
        Assert.Equal(stamp, ModelResolver.Stamp(copy));

        foreach (var name in new[] { "model.safetensors", "config.json", "tokenizer.json" })
        {
            string file = Path.Combine(copy, name);
            FlipLastByte(file);
            File.SetLastWriteTimeUtc(file, File.GetLastWriteTimeUtc(Path.Combine(model, name))); // name, size and time as the original's
            Assert.NotEqual(stamp, ModelResolver.Stamp(copy));
            FlipLastByte(file);
            File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddHours(3));
            Assert.Equal(stamp, ModelResolver.Stamp(copy));
        }
    }

    /// <summary>Runs fine-tuned before content stamps recorded the legacy stamp (64 hex digits over the weights' names,
    /// sizes and modification times): it is still compared as it was made, by predict and by a rerun, which records the
    /// content stamp from then on.</summary>
    [Fact]
    public void A_legacy_stamp_in_an_existing_run_is_compared_the_old_way()
    {
        using var d = new ToyData();
        var spec = new FinetuneSpec { Manifest = d.Parsed(), Model = d.Model(), Out = Path.Combine(d.Dir, "run"), TextOnly = true, Options = TrainingTests.Small(1) };
        FinetuneRun.Run(spec);
        string runJson = Path.Combine(spec.Out, RunFile.FileName), weights = Path.Combine(spec.Model, "model.safetensors");
        var written = RunFile.Load(runJson);
        string legacy = LegacyStamp(spec.Model);
        (written with { ModelStamp = legacy }).Save(runJson);

        RunEvaluation.Predict(spec.Out, "the cat sat alpha", null);
        FinetuneRun.Run(spec); // the rerun accepts it and records the content stamp
        Assert.Equal(written.ModelStamp, RunFile.Load(runJson).ModelStamp);

        (written with { ModelStamp = legacy }).Save(runJson);
        File.SetLastWriteTimeUtc(weights, DateTime.UtcNow.AddHours(1)); // what the legacy stamp saw as a change
        Assert.Contains("changed since this run was fine-tuned", Assert.Throws<SpeechTokException>(() => RunEvaluation.Predict(spec.Out, "the cat sat alpha", null)).Message);
        Assert.Contains("'model_stamp' differs", Assert.Throws<SpeechTokException>(() => FinetuneRun.Run(spec)).Message);
    }

    /// <summary>The stamp as runs recorded it before content stamps, made here independently of the code under test.</summary>
    private static string LegacyStamp(string folder)
    {
        var text = new System.Text.StringBuilder();
        foreach (var f in new[] { "config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json" })
            if (File.Exists(Path.Combine(folder, f))) text.Append($"{f} {Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(folder, f))))}\n");
        foreach (var f in Directory.GetFiles(folder, "*.safetensors*").Order(StringComparer.Ordinal))
            text.Append($"{Path.GetFileName(f)} {new FileInfo(f).Length} {File.GetLastWriteTimeUtc(f).Ticks}\n");
        return Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text.ToString())));
    }

    private static void FlipLastByte(string file)
    {
        var bytes = File.ReadAllBytes(file);
        bytes[^1] ^= 1;
        File.WriteAllBytes(file, bytes);
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

    /// <summary>Fine-tuning on rows pre-trained through a model folder edited since compared the model's path only, and
    /// trained the adapters on rows that no longer fit the weights.</summary>
    [Fact]
    public void Rows_pre_trained_through_a_model_folder_changed_since_are_refused()
    {
        using var d = new ToyData();
        string pre = Path.Combine(d.Dir, "pre"), model = d.Model();
        new PretrainSpec { Manifest = d.Parsed(), Codes = d.Codes, Selection = d.Selection, Model = model, Out = pre, Options = new PretrainOptions { Epochs = 1, BatchSize = 4, Accumulation = 1 } }.Run();
        FlipLastByte(Path.Combine(model, "model.safetensors"));
        var spec = new FinetuneSpec { Manifest = d.Parsed(), Codes = d.Codes, Selection = d.Selection, Model = model, Pretrained = pre, Out = Path.Combine(d.Dir, "run"), Options = TrainingTests.Small(1) };
        Assert.Contains($"the model folder {model} changed since the rows were pre-trained", Assert.Throws<SpeechTokException>(() => FinetuneRun.Run(spec)).Message);
    }
}
