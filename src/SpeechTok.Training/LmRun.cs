using System.Text.Json.Serialization;
using SpeechTok.IO;

namespace SpeechTok.Training;

/// <summary>
/// training_run.json of <c>lm train</c>: what the weights depend on (the options, the corpus hashes). A rerun into
/// the folder must match it (<see cref="CheckSameAs"/>), so that resuming continues the same run.
/// </summary>
public sealed record LmRun : IArtifact
{
    public static readonly ArtifactKind Kind = new("lm run", "speechtok-lm-run", Version: 1);

    [JsonPropertyName("options")] public required LmTrainOptions Options { get; init; }
    [JsonPropertyName("train_sha256")] public required string TrainSha256 { get; init; }
    [JsonPropertyName("valid_sha256")] public required string ValidSha256 { get; init; }
    /// <summary>With <c>init_from</c>: sha256 of the starting model's files (<see cref="LmTrainer.ModelSha256"/>); null from scratch.</summary>
    [JsonPropertyName("init_sha256")] public string? InitSha256 { get; init; }
    /// <summary>
    /// The engine's SIMD kernels that trained the run (<see cref="Tensors.KernelPath.Name"/>): a rerun reproduces its numbers
    /// bit for bit on the same kernels, to rounding on others. Not compared on resume; null in files written before it was recorded.
    /// </summary>
    [JsonPropertyName("kernels")] public string? Kernels { get; init; }

    public void Validate(string source)
    {
        try { Options.Validate(); }
        catch (SpeechTokException e) { throw new SpeechTokException($"{source}: {e.Message}", e); }
    }

    /// <summary>Throws, naming the first differing field, when <paramref name="now"/> is another run than this one.</summary>
    public void CheckSameAs(LmRun now, string path)
    {
        var d = ArtifactJson.FirstDifference(Options, now.Options, LmTrainOptions.WeightFields)
            ?? ArtifactJson.FirstDifference(this, now, ["train_sha256", "valid_sha256", "init_sha256"]);
        if (d is var (field, was, isNow))
            throw new SpeechTokException($"{path}: this folder holds a run with another {field} (was {was}, now {isNow}). Rerun the same command to resume, or use another --out");
    }
}
