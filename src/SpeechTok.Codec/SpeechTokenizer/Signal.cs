namespace SpeechTok.Codec.SpeechTokenizer;

/// <summary>One batch item between layers: row-major [Channels, Length].</summary>
internal readonly record struct Signal(float[] Data, int Channels, int Length);
