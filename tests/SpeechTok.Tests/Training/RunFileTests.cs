using System.Text.Json.Nodes;
using SpeechTok.Tests.Audio;
using SpeechTok.Training;

namespace SpeechTok.Tests.Training;

/// <summary>What loading run.json refuses.</summary>
public sealed class RunFileTests : IDisposable
{
    private readonly string _dir = Tool.TempDir("run-file");

    public void Dispose() => Directory.Delete(_dir, true);

    /// <summary>A binary text-only run's run.json, as finetune writes it, with the sidecar's names calm and excited.</summary>
    private string WriteRun()
    {
        string path = Path.Combine(_dir, RunFile.FileName);
        new RunFile
        {
            System = "text-only-llm", Manifest = Path.Combine(_dir, "m.csv"), Task = "binary", NumLabels = 2, Model = ModelResolver.Builtin,
            TextOnly = true, Serialization = "textonly", MaxLength = 128, ClassNames = ["calm", "excited"],
            Hyperparameters = FinetuneHyperparameters.From(TrainingTests.Small(1), TaskKind.Binary),
        }.Save(path);
        return path;
    }

    /// <summary>run.json's class_names (the names predictions carry) must be one distinct, non-empty name per label: an
    /// edited file with another count, a name twice or an empty name is refused when the run is loaded, naming the field.</summary>
    [Theory]
    [InlineData("calm,excited,sad")]
    [InlineData("calm,calm")]
    [InlineData("calm,")]
    public void Class_names_that_do_not_name_each_label_once_are_refused(string commaSeparated)
    {
        string[] names = commaSeparated.Split(',');
        string path = WriteRun();
        Assert.Equal(["calm", "excited"], RunFile.Load(path).ClassNames);
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        json["class_names"] = new JsonArray(names.Select(n => (JsonNode)n!).ToArray());
        File.WriteAllText(path, json.ToJsonString());
        var e = Assert.Throws<SpeechTokException>(() => RunFile.LoadFromRun(_dir));
        Assert.Equal($"{path}: 'class_names' must be 2 distinct non-empty names (num_labels), got {names.Length}", e.Message);
    }
}
