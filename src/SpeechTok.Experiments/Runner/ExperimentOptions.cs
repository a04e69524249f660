using SpeechTok.Codec;
using SpeechTok.Evaluation;
using SpeechTok.Lm.Serialization;
using SpeechTok.Training;

namespace SpeechTok.Experiments.Runner;

/// <summary>What <c>speechtok experiment</c> is asked to do.</summary>
public sealed record ExperimentOptions
{
    public required string Manifest { get; init; }
    public required string Out { get; init; }
    /// <summary>HF model folder or <c>builtin</c>.</summary>
    public string Model { get; init; } = ModelResolver.Builtin;
    /// <summary>SpeechTokenizer / built-in tokenizer folder, or <c>builtin</c> (fitted into OUT/codes/tokenizer).</summary>
    public string Tokenizer { get; init; } = TokenizerLoader.Builtin;
    public ExperimentPreset Preset { get; init; } = ExperimentPreset.Paper;
    /// <summary>Overrides the preset's seeds.</summary>
    public int[]? Seeds { get; init; }
    /// <summary>Overrides the preset's <see cref="ExperimentPreset.MaxLength"/> (tokens per sample, BOS included).</summary>
    public int? MaxLength { get; init; }
    /// <summary>Overrides the preset's <see cref="ExperimentPreset.MetricForBestModel"/>.</summary>
    public string? MetricForBestModel { get; init; }
    public string? AudioRoot { get; init; }
    public int Threads { get; init; } = Environment.ProcessorCount;
    public IReadOnlyList<string>? ClassNames { get; init; }
    /// <summary>Utterance encoder of the audio-vector system (<see cref="UtteranceEncoders"/>).</summary>
    public string AudioEncoder { get; init; } = UtteranceEncoders.Builtin;
    /// <summary>
    /// Average the channels of multi-channel clips instead of taking channel 0, in every step that reads them (tokenize,
    /// the MFCC baselines, the audio-vector system, the token report), so that one experiment reads every clip the same way.
    /// </summary>
    public bool Mixdown { get; init; }
    /// <summary>Systems to run (default: all of <see cref="ExperimentRunner.Systems"/>, in that order).</summary>
    public IReadOnlyList<string>? OnlySystems { get; init; }

    /// <summary>
    /// <see cref="Preset"/> with <see cref="Seeds"/>, <see cref="MaxLength"/> and <see cref="MetricForBestModel"/> applied, each
    /// checked for a manifest of <paramref name="task"/>: the one check of these options, which <c>demo</c> runs before building its dataset.
    /// The task's default metric is recorded as none: it changes nothing, so it leaves the folder's identity as it was.
    /// </summary>
    public ExperimentPreset ResolvePreset(TaskKind task)
    {
        var preset = Seeds is { } seeds ? Preset with { Seeds = seeds } : Preset;
        if (MaxLength is int maxLength)
            preset = maxLength >= 2 ? preset with { MaxLength = maxLength } : throw new SpeechTokException($"{SampleSerializer.MaxLengthOption} {maxLength}: must be at least 2 (BOS and one token)");
        FinetuneOptions.CheckSeeds(preset.Seeds);
        var metric = MetricForBestModel ?? preset.MetricForBestModel;
        ClassificationMetrics.ValidateSelection(task, metric);
        return preset with { MetricForBestModel = metric == ClassificationMetrics.SelectionName(task) ? null : metric };
    }
}
