using SpeechTok.Audio;
using SpeechTok.Lm.Serialization;

namespace SpeechTok.Training;

/// <summary>What a fine-tuning run is made of (the CLI's options; the manifest already parsed).</summary>
public sealed record FinetuneSpec
{
    /// <summary>The parsed manifest (loaded with the class count when <c>--num-labels</c> is given).</summary>
    public required Manifest Manifest { get; init; }
    public required string Model { get; init; }
    public required string Out { get; init; }
    public string? Codes { get; init; }
    public string? Selection { get; init; }
    /// <summary>Folder written by pretrain; null: fresh rows (--no-pretrain) or text only.</summary>
    public string? Pretrained { get; init; }
    public bool TextOnly { get; init; }
    /// <summary>The audio-vector system: the utterance encoder's name (<see cref="Codec.UtteranceEncoders"/>; clips are read from the manifest's audio root); null otherwise.</summary>
    public string? AudioEncoder { get; init; }
    public SerializationMode Serialization { get; init; } = SampleSerializer.DefaultMode;
    public int MaxLength { get; init; } = SampleSerializer.DefaultMaxLength;
    /// <summary>How <see cref="MaxLength"/> is named in messages: the CLI's option, or the experiment preset's field.</summary>
    public string MaxLengthOption { get; init; } = SampleSerializer.MaxLengthOption;
    public string? System { get; init; }
    public FinetuneOptions Options { get; init; } = new();
}
