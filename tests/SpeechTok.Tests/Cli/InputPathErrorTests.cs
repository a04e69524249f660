using SpeechTok.Cli;
using SpeechTok.Tests.Audio;
using SpeechTok.IO;
using SpeechTok.Lm.Model;
using SpeechTok.Training;

namespace SpeechTok.Tests.Cli;

/// <summary>
/// An input of the wrong kind says so: a folder given for a manifest, a file or a results folder given for a run, a
/// Hugging Face cache root given for a model were all reported as "does not exist" or "not found", which sends the
/// user looking for a typo.
/// </summary>
public sealed class InputPathErrorTests
{
    private readonly string _dir = Tool.TempDir("input-paths");

    [Fact]
    public void A_path_of_the_wrong_kind_is_named_as_such()
    {
        string file = Path.Combine(_dir, "m.csv"), folder = Path.Combine(_dir, "codes"), none = Path.Combine(_dir, "none");
        File.WriteAllText(file, "split,text,audio_path_list,label\n");
        Directory.CreateDirectory(folder);
        Assert.Equal(file, InputPaths.RequireFile(file, "manifest"));
        Assert.Equal(folder, InputPaths.RequireFolder(folder + "/", "model folder"));
        Assert.Equal($"manifest '{folder}' is a folder, not a file", Assert.Throws<SpeechTokException>(() => InputPaths.RequireFile(folder, "manifest")).Message);
        Assert.Equal($"manifest '{none}' does not exist", Assert.Throws<SpeechTokException>(() => InputPaths.RequireFile(none, "manifest")).Message);
        Assert.Equal($"model folder '{file}' is a file, not a folder", Assert.Throws<SpeechTokException>(() => InputPaths.RequireFolder(file, "model folder")).Message);
        Assert.Equal($"model folder '{none}' does not exist", Assert.Throws<SpeechTokException>(() => InputPaths.RequireFolder(none, "model folder")).Message);

        var (code, _, err) = CliRunner.Run("baseline", "bow", "--manifest", folder, "--out", Path.Combine(_dir, "o"));
        Assert.Equal((2, $"error: manifest '{folder}' is a folder, not a file"), (code, err.Trim()));
        (code, _, err) = CliRunner.Run("baseline", "mfcc", "--manifest", file, "--audio-root", file, "--out", Path.Combine(_dir, "o"));
        Assert.Equal((2, $"error: --audio-root '{file}' is a file, not a folder"), (code, err.Trim()));
        Assert.Equal($"--pretrained '{file}' is a file, not a folder: give the --out folder of `speechtok pretrain`",
            Assert.Throws<SpeechTokException>(() => Pretrainer.LoadRows(file, null!)).Message);
        // every typed artifact (selection.json, run.json, …) reads through ArtifactJson.Load
        Assert.Equal($"run file '{folder}' is a folder, not a file", Assert.Throws<SpeechTokException>(() => RunFile.Load(folder)).Message);
    }

    /// <summary>The call sites of mosei's --folds and --audio-dir and of bench selection's --synthetic had no test of a path of the wrong kind.</summary>
    [Fact]
    public void Mosei_inputs_and_the_bench_fixture_of_the_wrong_kind_are_named_as_such()
    {
        string table = Path.Combine(_dir, "table.csv"), audio = Path.Combine(_dir, "audio"), folds = Path.Combine(_dir, "folds.json"), outDir = Path.Combine(_dir, "mosei");
        File.WriteAllLines(table, ["video_id,segment_id,start,end,text,sentiment,happy,sad,anger,surprise,disgust,fear", "v1,0,0.0,1.0,fine,1,0,0,0,0,0,0"]);
        Directory.CreateDirectory(audio);
        File.WriteAllText(folds, """{"train": ["v1"], "valid": [], "test": []}""");
        string[] mosei = ["mosei", "--task", "Sent", "--table", table, "--out", outDir];

        var (code, _, err) = CliRunner.Run([.. mosei, "--audio-dir", audio, "--folds", audio]);
        Assert.Equal((2, $"error: folds file '{audio}' is a folder, not a file"), (code, err.Trim()));
        (code, _, err) = CliRunner.Run([.. mosei, "--audio-dir", table, "--folds", folds]);
        Assert.Equal((2, $"error: --audio-dir '{table}' is a file, not a folder"), (code, err.Trim()));
        Assert.False(Directory.Exists(outDir));

        (code, _, err) = CliRunner.Run("bench", "selection", "--synthetic", audio);
        Assert.Equal((2, $"error: --synthetic: '{audio}' is a folder, not a file (the l1-selection fixture's synthetic.json; the build copies it beside the program)"),
            (code, err.Trim()));
    }

    [Fact]
    public void A_run_folder_is_told_from_a_file_and_from_an_experiment_or_baseline_output()
    {
        string file = Path.Combine(_dir, "m.csv"), results = Path.Combine(_dir, "baseline-out"), empty = Path.Combine(_dir, "empty");
        File.WriteAllText(file, "x");
        Directory.CreateDirectory(results);
        File.WriteAllText(Path.Combine(results, "results.json"), "{}");
        Directory.CreateDirectory(empty);
        Assert.Equal($"run folder '{file}' is a file, not a folder", Assert.Throws<SpeechTokException>(() => RunFile.LoadFromRun(file)).Message);
        Assert.Equal($"'{empty}' is not a run folder: it has no run.json (speechtok finetune writes one)",
            Assert.Throws<SpeechTokException>(() => RunFile.LoadFromRun(empty)).Message);
        var (code, _, err) = CliRunner.Run("evaluate", "--run", results);
        Assert.Equal(2, code);
        Assert.Equal($"error: '{results}' is not a run folder: it has no run.json (speechtok finetune writes one); it holds results.json, so it is the output of " +
            "experiment or baseline (an experiment's fine-tuned runs are its runs/SYSTEM folders)", err.Trim());
        (code, _, err) = CliRunner.Run("predict", "--run", file, "--text", "hello");
        Assert.Equal((2, $"error: run folder '{file}' is a file, not a folder"), (code, err.Trim()));
    }

    /// <summary>A Hugging Face cache root (models--org--name/) holds its model in snapshots/&lt;hash&gt;/: the message points there.</summary>
    [Fact]
    public void A_model_folder_without_config_json_points_into_a_hugging_face_cache()
    {
        string cache = Path.Combine(_dir, "models--org--name"), plain = Path.Combine(_dir, "plain");
        Directory.CreateDirectory(Path.Combine(cache, "snapshots", "0123abc"));
        Directory.CreateDirectory(plain);
        Assert.Equal($"{Path.Combine(cache, "config.json")}: model config not found (give the folder holding config.json, model.safetensors and tokenizer.json; " +
            $"this looks like a Hugging Face cache folder: its model is in {Path.Combine(cache, "snapshots", "<hash>")})",
            Assert.Throws<SpeechTokException>(() => LlamaConfig.Load(cache)).Message);
        Assert.Equal($"{Path.Combine(plain, "config.json")}: model config not found (give the folder holding config.json, model.safetensors and tokenizer.json)",
            Assert.Throws<SpeechTokException>(() => LlamaConfig.Load(plain)).Message);
    }

    /// <summary>tokenize checked every clip before its --tokenizer, so a wrong tokenizer path came to light only once the clips were fixed.</summary>
    [Fact]
    public void Tokenize_names_a_wrong_tokenizer_before_listing_missing_clips()
    {
        var csv = Path.Combine(_dir, "gone.csv");
        File.WriteAllText(csv, "split,text,audio_path_list,label\ntrain,a,gone1.wav,0\ntrain,b,gone2.wav,1\n");
        string tok = Path.Combine(_dir, "no-tokenizer");
        var (code, _, err) = CliRunner.Run("tokenize", "--manifest", csv, "--tokenizer", tok, "--out", Path.Combine(_dir, "codes-out"));
        Assert.Equal((2, $"error: tokenizer folder '{tok}' does not exist"), (code, err.Trim()));
    }

    /// <summary>Choice options compared case-sensitively (--finetuning-type Full was refused) while enum options did not.</summary>
    [Fact]
    public void Choice_options_take_their_values_in_any_case()
    {
        var root = SpeechTokCommand.Build();
        var parsed = root.Parse(["finetune", "--manifest", "m.csv", "--text-only", "--out", "r", "--finetuning-type", "FULL"]);
        Assert.Empty(parsed.Errors);
        Assert.Equal("full", parsed.GetValue<string>("--finetuning-type"));
        var refused = root.Parse(["finetune", "--manifest", "m.csv", "--text-only", "--out", "r", "--finetuning-type", "fool"]);
        Assert.Contains(refused.Errors, e => e.Message == "--finetuning-type 'fool': expected lora or full");
    }
}
