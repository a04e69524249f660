using SpeechTok.Codec.Builtin;

namespace SpeechTok.Codec;

/// <summary>The utterance encoders a run can name (<c>--audio-vector NAME</c>).</summary>
public static class UtteranceEncoders
{
    public const string Builtin = "builtin";
    public static readonly string[] Names = [Builtin];

    public static IUtteranceEncoder Load(string name) => name switch
    {
        Builtin => new BuiltinUtteranceEncoder(),
        _ => throw new SpeechTokException($"unknown audio encoder '{name}' (available: {string.Join(", ", Names)})"),
    };
}
