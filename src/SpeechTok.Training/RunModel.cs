using SpeechTok.Audio;
using SpeechTok.Codec;
using SpeechTok.Codec.Store;
using SpeechTok.Evaluation;
using SpeechTok.Lm.Model;
using SpeechTok.Lm.Serialization;
using SpeechTok.Tensors.IO;

namespace SpeechTok.Training;

/// <summary>
/// A fine-tuning run folder loaded for inference (<c>predict</c>, and <c>evaluate</c> when an adapter changed):
/// run.json's language model with the run's vocabulary extension and serializer; each seed's new rows, its
/// adapter as its adapter_config.json says (<see cref="AdapterConfig"/>) or its fully fine-tuned model (<see cref="FullModel"/>) and, for audio-vector runs, its audio
/// projection and the run's utterance encoder. Sets are predicted in batches of the run's batch size, so a split's
/// numbers equal the run's own predictions files.
/// </summary>
internal sealed class RunModel : IDisposable
{
    public string Run { get; }
    public RunFile Meta { get; }
    public SampleSerializer Serializer { get; }
    /// <summary>The utterance encoder of an audio-vector run; null otherwise.</summary>
    public IUtteranceEncoder? Encoder { get; }
    private readonly LanguageModel _lm;

    private RunModel(string run, RunFile meta, LanguageModel lm, IUtteranceEncoder? encoder)
    {
        Run = run; Meta = meta; _lm = lm; Encoder = encoder;
        // Not checked against the model's limits: the run's max length is fixed, and was checked when it was fine-tuned.
        Serializer = new SampleSerializer(lm.Tokenizer, lm.Vocabulary, SampleSerializer.ParseMode(meta.Serialization), meta.MaxLength);
    }

    public static RunModel Load(string run)
    {
        string src = Path.Combine(run, RunFile.FileName);
        var meta = RunFile.LoadFromRun(run);
        if (meta.Hyperparameters.FinetuningType is { } type && type != FinetuneOptions.Full)
            throw new SpeechTokException($"{src}: hyperparameters.finetuning_type '{type}' is not one this build reads ({FinetuneOptions.Full}, or absent for {FinetuneOptions.Lora})");
        var encoder = meta.AudioEncoder is not { } identity ? null
            : UtteranceEncoders.Names.Select(UtteranceEncoders.Load).FirstOrDefault(e => e.Identity == identity)
              ?? throw new SpeechTokException($"{src}: audio encoder '{identity}' is not available in this build");
        foreach (int seed in meta.Hyperparameters.Seeds)
            if (!File.Exists(Path.Combine(FinetuneRun.SeedDir(run, seed), SeedDone.FileName)))
                throw new SpeechTokException($"{run}: seed {seed} has not finished (no {SeedDone.FileName}); rerun the finetune command to finish the run");
        string folder = ModelResolver.ResolveRecorded(meta.Model, meta.BuiltinLmSha256, src);
        if (meta.ModelStamp is { } stamp && !ModelResolver.StampMatches(stamp, meta.Model))
            throw new SpeechTokException($"{src}: the model folder {folder} changed since this run was fine-tuned (its config, tokenizer or weight files differ); "
                + "the run's adapters and heads fit the weights they were trained on: fine-tune again, or restore the folder");
        var lm = LanguageModel.Load(folder, meta.Selection, encoder != null);
        try { meta.Tokenizer?.RequireSameBos(lm.Tokenizer.BosId, src); }
        catch { lm.Dispose(); throw; }
        return new RunModel(run, meta, lm, encoder);
    }

    /// <summary>The samples of <paramref name="split"/> serialised as at fine-tuning: run.json's manifest and code store.
    /// <paramref name="log"/> gets the store's warning when clips are missing and their codes were matched by file name only.</summary>
    public EncodedSet Encode(string split, Action<string>? log = null)
    {
        var manifest = Manifest.Load(Meta.Manifest, numClasses: Meta.NumLabels);
        if (Meta.ManifestSha256 is { } made && manifest.Sha256 != made)
            throw new SpeechTokException($"{manifest.Path}: the manifest changed since the run {Run} was fine-tuned on it (sha256 {manifest.Sha256[..12]}…, recorded {made[..Math.Min(12, made.Length)]}…); its splits cannot be predicted again as they were");
        using var codes = Serializer.NeedsCodes
            ? CodeStore.Open(Meta.Codes ?? throw new SpeechTokException($"{Path.Combine(Run, RunFile.FileName)}: field 'codes' is missing")) : null;
        var set = Encode(split, manifest.Split(split), codes);
        if (codes?.UnverifiedWarningWith($"the clips are read where {Meta.Manifest} puts them") is { } unverified) log?.Invoke(unverified);
        return set;
    }

    /// <summary>Serialises manifest samples: codes from <paramref name="codes"/> when the run uses audio tokens; the clips are read when it uses an audio vector.</summary>
    public EncodedSet Encode(string name, IReadOnlyList<ManifestSample> samples, CodeStore? codes)
    {
        if (Serializer.NeedsCodes && codes == null) throw new SpeechTokException($"{Run}: this run uses audio tokens; a code store is needed");
        var set = EncodedSet.Encode(name, samples, Serializer, codes);
        return Encoder == null ? set : set with { Vectors = AudioVectors.Encode(samples, Encoder, Meta.ClipsMixedDown).Select(Meta.AudioVectorNorm!.Apply).ToArray() };
    }

    /// <summary>
    /// In-memory samples, keyed "0", "1", … in order: their texts with their RVQ codes <c>[n][rvqLayer][frame]</c> (runs
    /// with audio tokens) or their 16 kHz clips (audio-vector runs), as <see cref="RunFile.RequireSampleInputs"/> let them
    /// through. A sample whose codes do not fit the run's layers or codebook fails naming its index.
    /// </summary>
    public EncodedSet Encode(IReadOnlyList<string> texts, IReadOnlyList<int[][]>? codes, IReadOnlyList<float[]>? wavs)
    {
        var rows = Serializer.SerializeAll(texts, codes);
        return new EncodedSet("predict", [.. Enumerable.Range(0, rows.Length).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))],
            [.. rows.Select(r => r.Ids)], [.. rows.Select(_ => Array.Empty<int>())], [.. rows.Select(r => r.Truncated)])
        {
            Audio = Serializer.NeedsCodes ? [.. rows.Select(r => r.Audio)] : null, // where the audio tokens lie, for the truncation warning
            FullLengths = [.. rows.Select(r => r.FullLength)], // and how long the rows were, for that of runs without audio tokens
            Vectors = Encoder == null ? null : [.. wavs!.Select(w => Meta.AudioVectorNorm!.Apply(Encoder.Encode(w)))],
        };
    }

    /// <summary>Class probabilities [n][K] of <paramref name="set"/> with seed <paramref name="seed"/>'s rows, adapter (and audio projection).</summary>
    public float[][] Predict(int seed, EncodedSet set)
    {
        string dir = FinetuneRun.SeedDir(Run, seed);
        if (Meta.Hyperparameters.FinetuningType == FinetuneOptions.Full)
        {
            var (w, score, file) = FullModel.Load(dir, _lm.Tokenizer.VocabSize, Meta.NumLabels);
            using var _ = file;
            using var full = new LlamaForSequenceClassification(w, Meta.NumLabels, _lm.PadId, null, score);
            return Finetuner.Predict(full, set, _lm.PadId, Meta.TaskKind, Meta.Hyperparameters.BatchSize);
        }
        LlamaWeights weights;
        using (var st = SafeTensors.Open(Path.Combine(dir, FinetuneRun.RowsFile)))
        {
            using var rows = st.Get(FinetuneRun.EmbedRowsTensor);
            using var head = st.Contains(Pretrainer.HeadRowsTensor) ? st.Get(Pretrainer.HeadRowsTensor) : null;
            weights = _lm.Weights.WithVocabularyExtension(rows.ToF32(), head?.ToF32());
        }
        var lora = AdapterConfig.Read(Path.Combine(dir, Peft.ConfigFile), _lm.Config).Create(_lm.Config, (ulong)seed);
        using var model = new LlamaForSequenceClassification(weights, Meta.NumLabels, _lm.PadId, lora, null, (ulong)seed);
        Peft.Load(dir, lora, model.ScoreWeight, Meta.NumLabels);
        var projection = Finetuner.NewProjection(_lm, set, seed);
        projection?.Load(dir);
        return Finetuner.Predict(model, set, _lm.PadId, Meta.TaskKind, Meta.Hyperparameters.BatchSize, projection);
    }

    /// <summary>Bagged probabilities: the mean over the run's seeds (softmax, or per-label sigmoid for multi-label runs).</summary>
    public float[][] PredictBagged(EncodedSet set) =>
        ClassificationMetrics.AverageProbabilities(Meta.Hyperparameters.Seeds.Select(seed => Predict(seed, set)).ToList());

    public void Dispose() => _lm.Dispose();
}
