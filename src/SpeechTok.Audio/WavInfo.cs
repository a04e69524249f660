namespace SpeechTok.Audio;

/// <summary>What a WAV header says: the format and where the samples lie.</summary>
public sealed record WavInfo(int SampleRate, int Channels, int BitsPerSample, WavEncoding Encoding, long DataOffset, long Frames);
