using System.Text.Json.Serialization;
using SpeechTok.IO;

namespace SpeechTok.Training;

/// <summary>
/// seed-S/done.json: written last, so its presence means the seed's adapter (or fully fine-tuned model) and predictions
/// are complete. <see cref="AdapterSha256"/> is <see cref="Peft.Fingerprint"/> of the model files the predictions were computed with
/// (null in files written before it existed).
/// </summary>
public sealed record SeedDone(
    [property: JsonPropertyName("seed")] int Seed,
    [property: JsonPropertyName("adapter_sha256")] string? AdapterSha256 = null) : IArtifact
{
    public const string FileName = "done.json";
    /// <summary>Files written before the version field existed are this same version 1.</summary>
    public static readonly ArtifactKind Kind = new("seed completion", "speechtok-seed-done", Version: 1, UnmarkedVersion: 1);

    public static SeedDone Load(string path) => ArtifactJson.Load<SeedDone>(path, Kind);

    public void Save(string path) => ArtifactJson.Save(path, this, Kind);

    public void Validate(string source) { }
}
