namespace SpeechTok.Audio;

/// <summary>Sample encoding of a WAV data chunk.</summary>
public enum WavEncoding
{
    Pcm,
    Float,
}
