using System.Text.Json.Serialization;
using SpeechTok.IO;
using SpeechTok.Selection;

namespace SpeechTok.Training;

/// <summary>
/// run.json of a fine-tuning run folder (<c>speechtok finetune</c>): everything <c>evaluate</c> and <c>predict</c>
/// need to rebuild the model of every seed, and what a rerun must match to resume.
/// </summary>
public sealed record RunFile : IArtifact
{
    public const string FileName = "run.json";
    public static readonly ArtifactKind Kind = new("run", "speechtok-run", Version: 1);

    /// <summary>The fields a rerun into the same folder must have unchanged (the others are derived or informative).</summary>
    private static readonly string[] IdentityFields =
        ["system", "manifest", "manifest_sha256", "codes_sha256", "task", "num_labels", "model", "builtin_lm_sha256", "model_stamp", "selection", "pretrained", "pretrained_sha256", "text_only", "audio_encoder", "audio_mixdown", "serialization", "max_length", "hyperparameters"];

    /// <summary>Name in results.json (text-only-llm, audio-lasso, …).</summary>
    [JsonPropertyName("system")] public required string System { get; init; }
    [JsonPropertyName("manifest")] public required string Manifest { get; init; }
    /// <summary><see cref="Audio.Manifest.Sha256"/> at fine-tuning: a rerun, and a re-encoding for <c>evaluate</c>, need the same file.</summary>
    [JsonPropertyName("manifest_sha256")] public string? ManifestSha256 { get; init; }
    /// <summary>"binary", "multiclass" or "multilabel" (<see cref="Evaluation.ExperimentResults.TaskName"/>).</summary>
    [JsonPropertyName("task")] public required string Task { get; init; }
    [JsonPropertyName("num_labels")] public int NumLabels { get; init; }
    /// <summary>The model folder (absolute), or <c>builtin</c> for the built-in LM (<see cref="ModelResolver.Reference"/>).</summary>
    [JsonPropertyName("model")] public required string Model { get; init; }
    /// <summary>sha256 of the built-in LM's weights when <see cref="Model"/> is <c>builtin</c>.</summary>
    [JsonPropertyName("builtin_lm_sha256")] public string? BuiltinLmSha256 { get; init; }
    /// <summary><see cref="ModelResolver.Stamp"/> of a model folder (not the built-in LM): predict and evaluate refuse a folder changed since.</summary>
    [JsonPropertyName("model_stamp")] public string? ModelStamp { get; init; }
    [JsonPropertyName("codes")] public string? Codes { get; init; }
    /// <summary>Identity of the speech tokenizer that made the codes (<c>predict</c> checks the one it is given).</summary>
    [JsonPropertyName("codes_tokenizer")] public string? CodesTokenizer { get; init; }
    /// <summary>Whether the codes' clips had their channels averaged (the store's <c>mixdown</c>): <c>predict --audio</c> loads a clip the same way.</summary>
    [JsonPropertyName("codes_mixdown")] public bool? CodesMixdown { get; init; }
    /// <summary><see cref="Codec.Store.CodeStore.Fingerprint"/> of the manifest's samples: a rerun after the codes changed is refused.</summary>
    [JsonPropertyName("codes_sha256")] public string? CodesSha256 { get; init; }
    /// <summary>Null for text-only runs.</summary>
    [JsonPropertyName("selection")] public SelectedAudioTokens? Selection { get; init; }
    [JsonPropertyName("pretrained")] public string? Pretrained { get; init; }
    /// <summary>sha256 of the pre-trained rows file: a resumed run whose pre-training folder was made again is refused.</summary>
    [JsonPropertyName("pretrained_sha256")] public string? PretrainedSha256 { get; init; }
    [JsonPropertyName("text_only")] public bool TextOnly { get; init; }
    /// <summary>The audio-vector system: identity of its utterance encoder (<see cref="Codec.IUtteranceEncoder.Identity"/>); null otherwise.</summary>
    [JsonPropertyName("audio_encoder")] public string? AudioEncoder { get; init; }
    /// <summary>Audio-vector runs: true when the clips' channels were averaged (<c>finetune --mixdown</c>); absent (null): channel 0,
    /// so run folders made before the option keep their identity. <c>predict</c> and <c>evaluate</c> read clips the same way.</summary>
    [JsonPropertyName("audio_mixdown")] public bool? AudioMixdown { get; init; }
    /// <summary>Length of the encoder's vectors (audio-vector runs).</summary>
    [JsonPropertyName("audio_vector_dim")] public int? AudioVectorDim { get; init; }
    /// <summary>Audio-vector runs: the train vectors' per-dimension mean and std the vectors are standardised with.</summary>
    [JsonPropertyName("audio_vector_norm")] public ZScore? AudioVectorNorm { get; init; }
    /// <summary>"compact", "reference", "textonly" or "audiovector".</summary>
    [JsonPropertyName("serialization")] public required string Serialization { get; init; }
    [JsonPropertyName("max_length")] public int MaxLength { get; init; }
    [JsonPropertyName("tokenizer")] public VocabularyExtension? Tokenizer { get; init; }
    [JsonPropertyName("hyperparameters")] public required FinetuneHyperparameters Hyperparameters { get; init; }
    /// <summary>Samples cut at <see cref="MaxLength"/>, per split.</summary>
    [JsonPropertyName("truncated")] public IReadOnlyDictionary<string, int>? Truncated { get; init; }
    /// <summary>The class names of the manifest's sidecar at fine-tuning (HF's id2label, in id order), or null when it had
    /// none: predictions carry these, whatever the sidecar says later. Informative (a resume may add or change them).</summary>
    [JsonPropertyName("class_names")] public IReadOnlyList<string>? ClassNames { get; init; }

    [JsonIgnore] public TaskKind TaskKind => Enum.Parse<TaskKind>(Task, ignoreCase: true);

    /// <summary>Whether a clip given to this run is read with its channels averaged: as the run's own clips were
    /// (<see cref="AudioMixdown"/>) for audio-vector runs, as its codes' clips were (<see cref="CodesMixdown"/>) otherwise.</summary>
    [JsonIgnore] public bool ClipsMixedDown => (AudioEncoder != null ? AudioMixdown : CodesMixdown) ?? false;

    public static RunFile Load(string path) => ArtifactJson.Load<RunFile>(path, Kind);

    /// <summary>run.json of the run folder <paramref name="run"/> (written by <c>speechtok finetune</c>).</summary>
    /// <exception cref="SpeechTokException"><paramref name="run"/> is a file or does not exist; it has no run.json (naming
    /// an experiment's or baseline's output folder as such when it holds results.json); run.json is invalid.</exception>
    public static RunFile LoadFromRun(string run)
    {
        string full = InputPaths.RequireFolder(run, "run folder");
        string path = Path.Combine(full, FileName);
        if (File.Exists(path)) return Load(path);
        // The output folders of experiment and baseline also hold results.json, so they are the likely mix-up.
        throw new SpeechTokException($"'{full}' is not a run folder: it has no {FileName} (speechtok finetune writes one)"
            + (File.Exists(Path.Combine(full, Evaluation.ExperimentResults.FileName))
                ? $"; it holds {Evaluation.ExperimentResults.FileName}, so it is the output of experiment or baseline (an experiment's fine-tuned runs are its runs/SYSTEM folders)" : ""));
    }

    public void Save(string path) => ArtifactJson.Save(path, this, Kind);

    public void Validate(string source)
    {
        if (!Enum.TryParse<TaskKind>(Task, ignoreCase: true, out _)) throw new SpeechTokException($"{source}: 'task' is '{Task}', expected binary, multiclass or multilabel");
        if (NumLabels < 1) throw new SpeechTokException($"{source}: 'num_labels' is {NumLabels}");
        if (Hyperparameters.Seeds.Length == 0) throw new SpeechTokException($"{source}: the run lists no seed");
        if ((TextOnly ? 1 : 0) + (Selection != null ? 1 : 0) + (AudioEncoder != null ? 1 : 0) != 1)
            throw new SpeechTokException($"{source}: a run is exactly one of text-only, 'selection' (audio tokens) or 'audio_encoder' (one audio vector)");
        if ((AudioEncoder != null) != (AudioVectorDim is > 0) || (AudioEncoder != null) != (AudioVectorNorm != null))
            throw new SpeechTokException($"{source}: 'audio_vector_dim' (positive) and 'audio_vector_norm' must be given exactly when 'audio_encoder' is");
        if (AudioMixdown != null && AudioEncoder == null) throw new SpeechTokException($"{source}: 'audio_mixdown' is for audio-vector runs ('audio_encoder'), which read the clips");
        AudioVectorNorm?.Validate($"{source}: audio_vector_norm");
        if (AudioVectorNorm != null && AudioVectorNorm.Mean.Length != AudioVectorDim)
            throw new SpeechTokException($"{source}: 'audio_vector_norm' has {AudioVectorNorm.Mean.Length} dimensions, 'audio_vector_dim' is {AudioVectorDim}");
        Selection?.Validate(source);
        if (ClassNames != null && (ClassNames.Count != NumLabels || ClassNames.Any(string.IsNullOrEmpty) || ClassNames.Distinct().Count() != ClassNames.Count))
            throw new SpeechTokException($"{source}: 'class_names' must be {NumLabels} distinct non-empty names (num_labels), got {ClassNames.Count}");
    }

    /// <summary>What the run hears beside the text, for messages: "text-only", "a run with audio tokens" or "an audio-vector run (it reads the clips itself)".</summary>
    [JsonIgnore] public string InputKind => TextOnly ? "text-only" : Selection != null ? "a run with audio tokens" : "an audio-vector run (it reads the clips itself)";

    /// <summary>
    /// Refuses a sample's audio inputs that this run does not take, and asks for the one it needs, in one message that
    /// starts with <paramref name="source"/> and names the input as the caller calls it (<paramref name="codesName"/>,
    /// <paramref name="audioName"/>): RVQ codes exactly for runs with audio tokens (<see cref="Selection"/>), the clip
    /// exactly for audio-vector runs (<see cref="AudioEncoder"/>), neither for text-only runs.
    /// </summary>
    internal void RequireSampleInputs(string source, bool codes, bool audio, string codesName, string audioName)
    {
        if (codes && Selection == null) throw new SpeechTokException($"{source}: the run is {InputKind}, so {codesName} is not used; drop it");
        if (audio && AudioEncoder == null) throw new SpeechTokException($"{source}: the run is {InputKind}, so {audioName} is not used; drop it");
        if (!codes && Selection != null) throw new SpeechTokException($"{source}: the run uses audio tokens; pass {codesName}");
        if (!audio && AudioEncoder != null) throw new SpeechTokException($"{source}: the run uses an audio vector; pass {audioName}");
    }

    /// <summary>The default system name of <c>finetune --no-pretrain</c> (the experiment's), and the one it had before.</summary>
    public const string NoPretrainSystem = "audio-lasso-nopt", LegacyNoPretrainSystem = "audio-lasso-no-pretrain";

    /// <summary>Fails when <paramref name="previous"/> (the folder's run.json) differs from this run in a field that defines it.</summary>
    public void RequireSameRunAs(RunFile previous, string path)
    {
        // Records older than a field lack it: compared as if equal, and their model path in today's form.
        previous = previous with
        {
            Model = ModelResolver.Reference(previous.Model), ManifestSha256 = previous.ManifestSha256 ?? ManifestSha256,
            Codes = InputPaths.FullPath(previous.Codes), Pretrained = InputPaths.FullPath(previous.Pretrained), CodesSha256 = previous.CodesSha256 ?? CodesSha256,
            BuiltinLmSha256 = previous.BuiltinLmSha256 ?? BuiltinLmSha256, ModelStamp = ModelResolver.InCurrentForm(previous.ModelStamp, Model, ModelStamp),
            PretrainedSha256 = previous.PretrainedSha256 ?? PretrainedSha256,
            // finetune --no-pretrain named its system audio-lasso-no-pretrain before it took the experiment's name
            System = previous.System == LegacyNoPretrainSystem && System == NoPretrainSystem ? System : previous.System,
        };
        if (previous.Tokenizer != null && Tokenizer != null) previous.Tokenizer.RequireSameBos(Tokenizer.BosId, path);
        if (ArtifactJson.FirstDifference(previous, this, IdentityFields) is { } d)
            throw new SpeechTokException(d.Field == "audio_mixdown" // "null vs true" would not name the option
                ? $"{path}: this run read its clips {(previous.AudioMixdown == true ? "with" : "without")} --mixdown; rerun with the same setting to resume, or use another --out to start a new run"
                : $"{path}: '{d.Field}' differs from this command's ({d.Was} vs {d.Now}); use another --out to start a new run");
    }
}
