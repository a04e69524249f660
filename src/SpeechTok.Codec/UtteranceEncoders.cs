using SpeechTok.Codec.Builtin;

namespace SpeechTok.Codec;

/// <summary>The utterance encoders a run can name (<c>--audio-vector NAME</c>).</summary>
public static class UtteranceEncoders
{
    public static readonly string[] Names = ["builtin"];

    public static IUtteranceEncoder Load(string name) => name switch
    {
        "builtin" => new BuiltinUtteranceEncoder(),
        _ => throw new SpeechTokException($"unknown audio encoder '{name}' (available: {string.Join(", ", Names)})"),
    };
}
