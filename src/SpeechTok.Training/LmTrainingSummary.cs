using System.Text.Json.Serialization;
using SpeechTok.IO;

namespace SpeechTok.Training;

/// <summary>
/// training_metrics.json of an <c>lm train</c> model folder: the final held-out numbers, the run's size and time, its
/// options, corpus and command line, and the held-out curve (metrics.jsonl's eval lines). Written when the run ends.
/// </summary>
public sealed record LmTrainingSummary : IArtifact
{
    public static readonly ArtifactKind Kind = new("lm training summary", "speechtok-lm-training", RunFiles.FormatVersion);

    /// <summary>Held-out numbers of the final weights.</summary>
    [JsonPropertyName("held_out")] public required LmHeldOut HeldOut { get; init; }
    /// <summary>Optimizer steps done.</summary>
    [JsonPropertyName("steps")] public required long Steps { get; init; }
    /// <summary>Training tokens seen (steps × tokens per step).</summary>
    [JsonPropertyName("tokens_seen")] public required long TokensSeen { get; init; }
    /// <summary>Wall seconds over every session of the run.</summary>
    [JsonPropertyName("wall_seconds")] public required double WallSeconds { get; init; }
    /// <summary>Trainable parameters.</summary>
    [JsonPropertyName("parameters")] public required long Parameters { get; init; }
    /// <summary>The model's vocabulary (tokens in all).</summary>
    [JsonPropertyName("vocab_size")] public required int VocabSize { get; init; }
    [JsonPropertyName("options")] public required LmTrainOptions Options { get; init; }
    /// <summary>The command that trained the model, as typed.</summary>
    [JsonPropertyName("command_line")] public required string CommandLine { get; init; }
    /// <summary>Where the weights started: the random initialisation, or the model a continued run started from (and its sha256).</summary>
    [JsonPropertyName("init")] public required string Init { get; init; }
    [JsonPropertyName("corpus")] public required LmCorpusInfo Corpus { get; init; }
    /// <summary>Every held-out evaluation of the run, in step order.</summary>
    [JsonPropertyName("eval_curve")] public required IReadOnlyList<LmEvalLine> EvalCurve { get; init; }

    public static LmTrainingSummary Load(string path) => ArtifactJson.Load<LmTrainingSummary>(path, Kind);

    public void Save(string path) => ArtifactJson.Save(path, this, Kind);

    public void Validate(string source) => Options.Validate();
}
