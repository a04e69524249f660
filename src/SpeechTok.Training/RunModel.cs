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
    public RunFile Meta { get; }
    public SampleSerializer Serializer { get; }
    private readonly LanguageModel _lm;

    private RunModel(string run, RunFile meta, LanguageModel lm)
    {
        Run = run; Meta = meta; _lm = lm;
        Serializer = lm.Serializer(SampleSerializer.ParseMode(meta.Serialization), meta.MaxLength);
    }

    public static RunModel Load(string run)
    {
        var meta = RunFile.Load(Path.Combine(run, RunFile.FileName));
        return new RunModel(run, meta, LanguageModel.Load(meta.Model, meta.Selection));
    }

    /// <summary>The samples of <paramref name="split"/> serialised as at fine-tuning: run.json's manifest and code store.</summary>
    public EncodedSet Encode(string split)
    {
        var manifest = Manifest.Load(Meta.Manifest, numClasses: Meta.NumLabels);
        using var codes = Meta.Selection == null ? null
            : CodeStore.Open(Meta.Codes ?? throw new SpeechTokException($"{Path.Combine(Run, RunFile.FileName)}: field 'codes' is missing"));
        return EncodedSet.Encode(split, manifest.Split(split), Serializer, codes);
    }

    /// <summary>Class probabilities [n][K] of <paramref name="set"/> with seed <paramref name="seed"/>'s rows and adapter.</summary>
    public float[][] Predict(int seed, EncodedSet set)
    {
        string dir = FinetuneRun.SeedDir(Run, seed);
        using (var st = SafeTensors.Open(Path.Combine(dir, FinetuneRun.RowsFile)))
            _lm.Weights.ExtendVocabulary(st.Get(FinetuneRun.EmbedRowsTensor).ToF32(), st.Contains(Pretrainer.HeadRowsTensor) ? st.Get(Pretrainer.HeadRowsTensor).ToF32() : null);
        var lora = AdapterConfig.Read(Path.Combine(dir, Peft.ConfigFile), _lm.Config).Create(_lm.Config, (ulong)seed);
        using var model = new LlamaForSequenceClassification(_lm.Weights, Meta.NumLabels, _lm.PadId, lora, null, (ulong)seed);
        Peft.Load(dir, lora, model.ScoreWeight, Meta.NumLabels);
        return Finetuner.Predict(model, set, _lm.PadId, Meta.TaskKind, Meta.Hyperparameters.BatchSize);
    }

    public void Dispose() => _lm.Dispose();
}
