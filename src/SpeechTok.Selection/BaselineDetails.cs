using System.Text.Json;
using System.Text.Json.Serialization;
using SpeechTok.Evaluation;
using SpeechTok.IO;

namespace SpeechTok.Selection;

/// <summary>
/// A baseline's <c>details</c> in results.json: the C chosen on val, its val score and the whole grid (the test accuracy,
/// here before, is the entry's <c>accuracy</c>).
/// </summary>
public sealed record BaselineDetails
{
    [JsonPropertyName("C")] public double C { get; init; }
    [JsonPropertyName("val_macro_f1")] public double ValMacroF1 { get; init; }
    /// <summary>Multi-label tasks: one binary model a label at the shared C.</summary>
    [JsonPropertyName("one_vs_rest")] public bool? OneVsRest { get; init; }
    [JsonPropertyName("grid")] public required IReadOnlyList<GridPoint> Grid { get; init; }
    /// <summary>True when the clips' channels were averaged (<c>baseline --mixdown</c>); absent: channel 0, as the original.</summary>
    [JsonPropertyName("mixdown")] public bool? Mixdown { get; init; }

    /// <summary>One C of the grid: its val macro-F1 and the fit's KKT residual (one-vs-rest: the largest over the labels).</summary>
    public sealed record GridPoint(
        [property: JsonPropertyName("C")] double C,
        [property: JsonPropertyName("val_macro_f1")] double ValMacroF1,
        [property: JsonPropertyName("kkt_residual")] double KktResidual);

    /// <summary>The details of a baseline's <see cref="SystemResult"/>.</summary>
    public static BaselineDetails Of(SystemResult result) =>
        result.Details?.Deserialize<BaselineDetails>(ArtifactJson.Options)
        ?? throw new SpeechTokException($"results of '{result.System}' carry no baseline details");
}
