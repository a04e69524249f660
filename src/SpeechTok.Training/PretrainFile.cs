using System.Text.Json.Serialization;
using SpeechTok.IO;
using SpeechTok.Selection;

namespace SpeechTok.Training;

/// <summary>
/// pretrain.json, next to rows.safetensors in a pre-training folder (<c>speechtok pretrain</c>): the model, the
/// selection and vocabulary the rows belong to, the hyper-parameters, the best eval loss and the curves.
/// </summary>
public sealed record PretrainFile : IArtifact
{
    public const string FileName = "pretrain.json";
    public static readonly ArtifactKind Kind = new("pre-training", "speechtok-pretrain", Version: 1);

    /// <summary>The model folder (absolute), or <c>builtin</c> for the built-in LM (<see cref="ModelResolver.Reference"/>).</summary>
    [JsonPropertyName("model")] public required string Model { get; init; }
    /// <summary>sha256 of the built-in LM's weights when <see cref="Model"/> is <c>builtin</c>.</summary>
    [JsonPropertyName("builtin_lm_sha256")] public string? BuiltinLmSha256 { get; init; }
    /// <summary><see cref="ModelResolver.Stamp"/> of a model folder (not the built-in LM).</summary>
    [JsonPropertyName("model_stamp")] public string? ModelStamp { get; init; }
    [JsonPropertyName("selection")] public required SelectedAudioTokens Selection { get; init; }
    [JsonPropertyName("tokenizer")] public required VocabularyExtension Tokenizer { get; init; }
    [JsonPropertyName("hyperparameters")] public required PretrainOptions Hyperparameters { get; init; }
    [JsonPropertyName("best_eval_loss")] public double BestEvalLoss { get; init; }
    [JsonPropertyName("best_step")] public int BestStep { get; init; }
    /// <summary>The rows' file name inside the folder.</summary>
    [JsonPropertyName("rows_file")] public required string RowsFile { get; init; }
    [JsonPropertyName("curves")] public required PretrainCurves Curves { get; init; }
    [JsonPropertyName("manifest")] public required string Manifest { get; init; }
    /// <summary><see cref="Audio.Manifest.Sha256"/> of the manifest the rows were pre-trained on.</summary>
    [JsonPropertyName("manifest_sha256")] public string? ManifestSha256 { get; init; }
    [JsonPropertyName("codes")] public required string Codes { get; init; }
    /// <summary>Identity of the speech tokenizer that made the codes.</summary>
    [JsonPropertyName("codes_tokenizer")] public string? CodesTokenizer { get; init; }
    /// <summary><see cref="Codec.Store.CodeStore.Fingerprint"/> of the manifest's samples: rows from other codes are not resumed.</summary>
    [JsonPropertyName("codes_sha256")] public string? CodesSha256 { get; init; }
    /// <summary>"compact" or "reference" (<see cref="Lm.Serialization.SerializationMode"/>).</summary>
    [JsonPropertyName("serialization")] public required string Serialization { get; init; }
    [JsonPropertyName("max_length")] public int MaxLength { get; init; }
    /// <summary>Samples cut at <see cref="MaxLength"/>.</summary>
    [JsonPropertyName("truncated")] public int Truncated { get; init; }

    /// <summary>What the rows depend on: a rerun into a finished folder must match them (the results may differ only in wall time).</summary>
    private static readonly string[] IdentityFields =
        ["model", "builtin_lm_sha256", "model_stamp", "selection", "tokenizer", "hyperparameters", "manifest", "manifest_sha256", "codes", "codes_sha256", "codes_tokenizer", "serialization", "max_length"];

    public static PretrainFile Load(string path) => ArtifactJson.Load<PretrainFile>(path, Kind);

    /// <summary>Refuses a rerun whose settings differ from the finished run's at <paramref name="path"/> (as <see cref="RunFile.RequireSameRunAs"/>).</summary>
    public void RequireSameRunAs(PretrainFile previous, string path)
    {
        // Records older than a field lack it: compared as if equal, and their model path in today's form.
        previous = previous with
        {
            Model = ModelResolver.Reference(previous.Model), ManifestSha256 = previous.ManifestSha256 ?? ManifestSha256, Codes = InputPaths.FullPath(previous.Codes)!,
            CodesSha256 = previous.CodesSha256 ?? CodesSha256,
            BuiltinLmSha256 = previous.BuiltinLmSha256 ?? BuiltinLmSha256, ModelStamp = ModelResolver.InCurrentForm(previous.ModelStamp, Model, ModelStamp),
        };
        if (ArtifactJson.FirstDifference(previous, this, IdentityFields) is { } d)
            throw new SpeechTokException($"{path}: '{d.Field}' differs from this command's ({d.Was} vs {d.Now}); use another --out to start a new run");
    }

    public void Save(string path) => ArtifactJson.Save(path, this, Kind);

    public void Validate(string source)
    {
        Selection.Validate(source);
        if (Tokenizer.TrainableCount != Selection.Features.Length + Lm.Serialization.AudioVocabulary.Markers.Count)
            throw new SpeechTokException($"{source}: {Tokenizer.TrainableCount} trainable rows for {Selection.Features.Length} audio tokens and {Lm.Serialization.AudioVocabulary.Markers.Count} markers");
        if (MaxLength < 1) throw new SpeechTokException($"{source}: max_length is {MaxLength}");
    }
}
