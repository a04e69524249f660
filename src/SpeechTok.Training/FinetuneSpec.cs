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
    /// <summary>Audio-vector runs: average the clips' channels instead of taking channel 0 (<c>--mixdown</c>, as <c>tokenize --mixdown</c>).</summary>
    public bool Mixdown { get; init; }
    public SerializationMode Serialization { get; init; } = SampleSerializer.DefaultMode;
    public int MaxLength { get; init; } = SampleSerializer.DefaultMaxLength;
    /// <summary>How <see cref="MaxLength"/> is named in messages: the CLI's option, or the experiment preset's field.</summary>
    public string MaxLengthOption { get; init; } = SampleSerializer.MaxLengthOption;
    public string? System { get; init; }
    public FinetuneOptions Options { get; init; } = new();

    /// <summary>Refuses <c>--mixdown</c> for a run that decodes no clip (the CLI checks it before loading anything):
    /// only the audio-vector system reads the clips; audio tokens come from codes that tokenize made, with its own --mixdown.</summary>
    public static void RequireMixdownReadsClips(bool mixdown, bool audioVector, bool textOnly)
    {
        if (mixdown && !audioVector)
            throw new SpeechTokException($"--mixdown is for --audio-vector, which reads the clips; {(textOnly ? "--text-only reads none" : "a run with audio tokens reads its codes (made with or without tokenize --mixdown)")}");
    }
}
