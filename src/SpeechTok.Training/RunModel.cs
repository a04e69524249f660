using System.Text.Json.Nodes;
using SpeechTok.Audio;
using SpeechTok.Codec.Store;
using SpeechTok.Lm.Model;
using SpeechTok.Lm.Serialization;
using SpeechTok.Tensors.IO;

namespace SpeechTok.Training;

/// <summary>
/// A fine-tuning run folder loaded for inference (<c>predict</c>, and <c>evaluate</c> when an adapter changed):
/// run.json's language model with the run's vocabulary extension and serializer; each seed's new rows and its
/// adapter as its adapter_config.json says (<see cref="AdapterConfig"/>).
/// </summary>
internal sealed class RunModel : IDisposable
{
    public string Run { get; }
    public string Source { get; }
    public JsonObject Meta { get; }
    public TaskKind Task { get; }
    public int NumLabels { get; }
    public SampleSerializer Serializer { get; }
    private readonly LanguageModel _lm;

    private RunModel(string run, string source, JsonObject meta, TaskKind task, int k, LanguageModel lm, SampleSerializer serializer)
    {
        Run = run; Source = source; Meta = meta; Task = task; NumLabels = k; _lm = lm; Serializer = serializer;
    }

    public static RunModel Load(string run)
    {
        string src = Path.Combine(run, FinetuneRun.RunFile);
        var meta = RunFiles.ReadJson(src);
        var task = Enum.Parse<TaskKind>(RunFiles.Get<string>(meta, "task", src), ignoreCase: true);
        int k = RunFiles.Get<int>(meta, "num_labels", src);
        SelectionFile? selection = null;
        if (!RunFiles.Get<bool>(meta, "text_only", src))
        {
            var s = meta["selection"] as JsonObject ?? throw new SpeechTokException($"{src}: field 'selection' is missing");
            selection = SelectionFile.FromJson(s, RunFiles.Get<string>(s, "path", src), src);
        }
        var lm = LanguageModel.Load(RunFiles.Get<string>(meta, "model", src), selection);
        var serializer = new SampleSerializer(lm.Tokenizer, lm.Vocabulary, SampleSerializer.ParseMode(RunFiles.Get<string>(meta, "serialization", src)),
            RunFiles.Get<int>(meta, "max_length", src));
        return new RunModel(run, src, meta, task, k, lm, serializer);
    }

    public bool TextOnly => _lm.Vocabulary == null;

    /// <summary>The samples of <paramref name="split"/> serialised as at fine-tuning: run.json's manifest and code store.</summary>
    public EncodedSet Encode(string split)
    {
        var manifest = Manifest.Load(RunFiles.Get<string>(Meta, "manifest", Source), numClasses: NumLabels);
        using var codes = TextOnly ? null : CodeStore.Open(RunFiles.Get<string>(Meta, "codes", Source));
        return EncodedSet.Encode(split, manifest.Split(split), Serializer, codes);
    }

    /// <summary>Class probabilities [n][k] of <paramref name="set"/> with seed <paramref name="seed"/>'s rows and adapter.</summary>
    public float[][] Predict(int seed, EncodedSet set)
    {
        string dir = FinetuneRun.SeedDir(Run, seed);
        using (var st = SafeTensors.Open(Path.Combine(dir, FinetuneRun.RowsFile)))
            _lm.Weights.ExtendVocabulary(st.Get("embed_rows").ToF32(), st.Contains("lm_head_rows") ? st.Get("lm_head_rows").ToF32() : null);
        var lora = AdapterConfig.Read(Path.Combine(dir, Peft.ConfigFile), _lm.Config).Create(_lm.Config, (ulong)seed);
        using var model = new LlamaForSequenceClassification(_lm.Weights, NumLabels, _lm.PadId, lora, null, (ulong)seed);
        Peft.Load(dir, lora, model.ScoreWeight, NumLabels);
        var hp = Meta["hyperparameters"] as JsonObject ?? throw new SpeechTokException($"{Source}: field 'hyperparameters' is missing");
        return Finetuner.Predict(model, set, _lm.PadId, Task, RunFiles.Get<int>(hp, "batch_size", Source));
    }

    public void Dispose() => _lm.Dispose();
}
