using SpeechTok.IO;
using SpeechTok.Training;

namespace SpeechTok.Tests.Training;

/// <summary>
/// A new-user walkthrough: <c>finetune --out</c> an lm train model folder or a baseline's output added run.json and seed-42/
/// to it; <c>pretrain --out</c> a baseline folder added checkpoint/; <c>pretrain --out</c> a copy of an lm train folder failed
/// with "invalid checkpoint state JSON … missing required properties". As <c>lm train</c> does, each refuses a non-empty folder
/// that is not its own run before any work, naming what it holds, and still resumes its own, finished or killed.
/// </summary>
public sealed class OutFolderTests
{
    private static string[] Entries(string dir) => [.. Directory.EnumerateFileSystemEntries(dir, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)];

    [Fact]
    public void Pretrain_and_finetune_refuse_a_folder_that_is_not_their_own_before_any_work()
    {
        using var d = new ToyData(perSplit: 8);
        string model = d.Model(); // lm train's folder: training_run.json, config.json, model.safetensors, checkpoint/, …
        string baseline = Directory.CreateDirectory(Path.Combine(d.Dir, "baseline-out")).FullName;
        File.WriteAllText(Path.Combine(baseline, "results.json"), "{}");
        string copy = Path.Combine(d.Dir, "lm-copy");
        foreach (string f in Entries(model))
        {
            string to = Path.Combine(copy, Path.GetRelativePath(model, f));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            if (Directory.Exists(f)) Directory.CreateDirectory(to);
            else File.Copy(f, to);
        }
        string finetune = "finetune writes a new run folder into an empty or new folder (or resumes its own there)";
        string pretrain = "pretrain writes a new pre-training folder into an empty or new folder (or resumes its own there)";
        string[] pretrainArgs = ["pretrain", "--manifest", d.Manifest, "--codes", d.Codes, "--selection", d.Selection, "--model", model, "--threads", "1", "--out"];
        foreach (var (args, holds, message) in new (string[], string, string)[]
        {
            (["finetune", "--manifest", d.Manifest, "--text-only", "--model", model, "--threads", "1", "--out", model], $"--out {model} holds README.md, checkpoint/, config.json and ",
                $"(an lm train model folder) but no run.json: {finetune}"),
            (["finetune", "--manifest", d.Manifest, "--text-only", "--model", model, "--threads", "1", "--out", baseline], $"--out {baseline} holds results.json ",
                $"(the output of experiment or baseline) but no run.json: {finetune}"),
            ([.. pretrainArgs, baseline], $"--out {baseline} holds results.json ", $"(the output of experiment or baseline) but no pretrain.json: {pretrain}"),
            ([.. pretrainArgs, copy], $"--out {copy} holds README.md, config.json, generation_config.json and ", $"(an lm train model folder) but no pretrain.json: {pretrain}"),
        })
        {
            string folder = args[^1];
            var before = Entries(folder);
            var (code, stdout, err) = CliRunner.Run(args);
            Assert.Equal((2, ""), (code, stdout));
            Assert.True(err.StartsWith($"error: {holds}", StringComparison.Ordinal), err);
            Assert.EndsWith(message, err.Trim());
            Assert.Single(err.Trim().Split('\n')); // refused before any work: no line printed before the error
            Assert.Equal(before, Entries(folder)); // nothing added
        }
    }

    [Fact]
    public void A_run_killed_before_its_marker_still_resumes_and_its_leftovers_are_its_own()
    {
        using var d = new ToyData(perSplit: 8);
        string model = d.Model();
        string pre = Path.Combine(d.Dir, "pre");
        PretrainSpec Spec() => new()
        {
            Manifest = d.Parsed(), Codes = d.Codes, Selection = d.Selection, Model = model, Out = pre,
            Options = new PretrainOptions { Lr = 1e-2, Epochs = 2, BatchSize = 8, Accumulation = 1, Patience = 10 },
        };
        // killed after its first checkpoint: checkpoint/ only, no pretrain.json; a kill inside ReplaceFolder or AtomicFile
        // leaves checkpoint.new/ and a temp file as well
        Assert.Throws<KilledException>(() => Spec().Run(afterStep: s => { if (s == 4) throw new KilledException(); }));
        Assert.False(File.Exists(Path.Combine(pre, PretrainFile.FileName)));
        Assert.True(Directory.Exists(Path.Combine(pre, "checkpoint")));
        Directory.CreateDirectory(Path.Combine(pre, "checkpoint.new"));
        File.WriteAllText(Path.Combine(pre, $".{Pretrainer.RowsFile}.1234.{Guid.NewGuid():N}.tmp"), "torn");
        var logs = new List<string>();
        Spec().Run(logs.Add);
        Assert.Contains(logs, l => l.StartsWith("resuming pre-training after epoch", StringComparison.Ordinal));
        Assert.True(File.Exists(Path.Combine(pre, PretrainFile.FileName)));
        // finished, with a file of the user's beside: still its own folder (pretrain.json), so the rerun says it is done
        File.WriteAllText(Path.Combine(pre, "notes.txt"), "mine");
        logs.Clear();
        Spec().Run(logs.Add);
        Assert.Contains(logs, l => l.StartsWith("pre-training already finished", StringComparison.Ordinal));

        // finetune: killed between making its folder and renaming run.json into it (an empty folder, a temp file)
        string run = Directory.CreateDirectory(Path.Combine(d.Dir, "run")).FullName;
        File.WriteAllText(Path.Combine(run, $".{RunFile.FileName}.1234.{Guid.NewGuid():N}.tmp"), "{");
        FinetuneRun.Run(new FinetuneSpec { Manifest = d.Parsed(), Model = model, Out = run, TextOnly = true, Options = TrainingTests.Small(1) with { Epochs = 1 } });
        Assert.True(File.Exists(Path.Combine(FinetuneRun.SeedDir(run, 1), SeedDone.FileName)));
        // a finetune folder is not pretrain's, nor the other way round
        Assert.Equal($"--out {run} holds run.json and seed-1/ (a finetune run folder) but no pretrain.json: pretrain writes a new pre-training folder into an empty or new folder (or resumes its own there)",
            Assert.Throws<SpeechTokException>(() => (Spec() with { Out = run }).Run()).Message); // the temp file is no one's
        Assert.Contains("(a pretrain folder) but no run.json", Assert.Throws<SpeechTokException>(() =>
            FinetuneRun.Run(new FinetuneSpec { Manifest = d.Parsed(), Model = model, Out = pre, TextOnly = true, Options = TrainingTests.Small(1) })).Message);
    }

    private sealed class KilledException : Exception;
}
