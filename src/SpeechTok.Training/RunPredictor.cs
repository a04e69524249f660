using SpeechTok.Audio;
using SpeechTok.Codec;
using SpeechTok.Codec.Store;
using SpeechTok.Evaluation;
using SpeechTok.Lm.Model;
using SpeechTok.Lm.Serialization;
using SpeechTok.Tensors.IO;

namespace SpeechTok.Training;

/// <summary>
/// A finished fine-tuning run folder loaded for prediction (<c>speechtok predict</c>): its LM with the run's
/// vocabulary, serialiser and, per seed, the saved rows, adapter and audio projection; probabilities are bagged
/// (the mean over the run's seeds), in batches of the run's batch size so a split's numbers equal the run's own
/// predictions files.
/// </summary>
public sealed class RunPredictor : IDisposable
{
    public string Run { get; }
    public TaskKind Task { get; }
    public int NumLabels { get; }
    /// <summary>The run's code store and its tokenizer identity (null for runs without audio tokens).</summary>
    public string? Codes { get; }
    public string? CodesTokenizer { get; }
    /// <summary>The utterance encoder of an audio-vector run; null otherwise.</summary>
    public IUtteranceEncoder? Encoder { get; }
    public bool NeedsCodes => _serializer.NeedsCodes;

    private readonly RunFile _meta;
    private readonly LanguageModel _lm;
    private readonly SampleSerializer _serializer;

    private RunPredictor(string run)
    {
        Run = run;
        string src = Path.Combine(run, RunFile.FileName);
        _meta = RunFile.Load(src);
        Task = _meta.TaskKind;
        NumLabels = _meta.NumLabels;
        Codes = _meta.Codes;
        CodesTokenizer = _meta.CodesTokenizer;
        if (_meta.AudioEncoder is { } identity)
        {
            Encoder = UtteranceEncoders.Names.Select(UtteranceEncoders.Load).FirstOrDefault(e => e.Identity == identity)
                ?? throw new SpeechTokException($"{src}: audio encoder '{identity}' is not available in this build");
        }
        _lm = LanguageModel.Load(_meta.Model, _meta.Selection, Encoder != null);
        _serializer = new SampleSerializer(_lm.Tokenizer, _lm.Vocabulary, SampleSerializer.ParseMode(_meta.Serialization), _meta.MaxLength);
    }

    public static RunPredictor Open(string run)
    {
        if (!File.Exists(Path.Combine(run, RunFile.FileName))) throw new SpeechTokException($"'{run}' is not a run folder (no {RunFile.FileName})");
        return new RunPredictor(run);
    }

    /// <summary>Serialises manifest samples (codes from <paramref name="codes"/> when the run uses audio tokens; clips read when it uses an audio vector).</summary>
    public EncodedSet Encode(string name, IReadOnlyList<ManifestSample> samples, CodeStore? codes)
    {
        if (NeedsCodes && codes == null) throw new SpeechTokException($"{Run}: this run uses audio tokens; a code store is needed");
        var set = EncodedSet.Encode(name, samples, _serializer, codes);
        return Encoder == null ? set : set with { Vectors = AudioVectors.Encode(samples, Encoder).Select(_meta.AudioVectorNorm!.Apply).ToArray() };
    }

    /// <summary>One sample: its text, its RVQ codes (runs with audio tokens) and its 16 kHz audio (audio-vector runs).</summary>
    public EncodedSet EncodeOne(string text, int[][]? codes, float[]? wav)
    {
        if (NeedsCodes && codes == null) throw new SpeechTokException($"{Run}: this run uses audio tokens; pass --audio and --tokenizer");
        if (Encoder != null && wav == null) throw new SpeechTokException($"{Run}: this run uses an audio vector; pass --audio");
        var r = _serializer.Serialize(text, codes);
        return new EncodedSet("predict", ["input"], [r.Ids], [[]], [r.Truncated]) { Vectors = Encoder == null ? null : [_meta.AudioVectorNorm!.Apply(Encoder.Encode(wav))] };
    }

    /// <summary>Bagged probabilities [set.Count][NumLabels]: softmax (sigmoid for multi-label) averaged over the run's seeds.</summary>
    public float[][] Predict(EncodedSet set)
    {
        var hp = _meta.Hyperparameters;
        var perSeed = new List<float[][]>();
        foreach (int seed in hp.Seeds)
        {
            string dir = FinetuneRun.SeedDir(Run, seed);
            if (!File.Exists(Path.Combine(dir, SeedDone.FileName))) throw new SpeechTokException($"{dir}: seed {seed} is not finished (no {SeedDone.FileName})");
            using (var st = SafeTensors.Open(Path.Combine(dir, FinetuneRun.RowsFile)))
                _lm.Weights.ExtendVocabulary(st.Get(FinetuneRun.EmbedRowsTensor).ToF32(), st.Contains(Pretrainer.HeadRowsTensor) ? st.Get(Pretrainer.HeadRowsTensor).ToF32() : null);
            var lora = new LoraAdapters(_lm.Config, hp.LoraRank, hp.LoraAlpha, hp.LoraDropout, (ulong)seed);
            using var model = new LlamaForSequenceClassification(_lm.Weights, NumLabels, _lm.PadId, lora, null, (ulong)seed);
            Peft.Load(dir, lora, model.ScoreWeight, NumLabels);
            var projection = Finetuner.NewProjection(_lm, set, seed);
            projection?.Load(dir);
            perSeed.Add(Finetuner.Predict(model, set, _lm.PadId, Task, hp.BatchSize, projection));
        }
        return ClassificationMetrics.AverageProbabilities(perSeed);
    }

    public void Dispose() => _lm.Dispose();
}
