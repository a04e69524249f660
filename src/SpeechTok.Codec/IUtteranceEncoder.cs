namespace SpeechTok.Codec;

/// <summary>
/// Turns one utterance (16 kHz mono) into one fixed-size vector: the audio embedding of the audio-vector system
/// (the paper's "LLM + BYOL-A" comparison). The built-in one is <see cref="Builtin.BuiltinUtteranceEncoder"/>; a
/// pretrained encoder (BYOL-A, WavLM) plugs in by implementing this and being named in <see cref="UtteranceEncoders.Load"/>.
/// </summary>
public interface IUtteranceEncoder
{
    /// <summary>Recorded in run folders: a run's vectors must come from the same encoder at prediction time.</summary>
    string Identity { get; }

    /// <summary>Length of every vector <see cref="Encode"/> returns.</summary>
    int Dim { get; }

    /// <summary>[<see cref="Dim"/>] finite values for a clip of 16 kHz samples in [−1, 1].</summary>
    float[] Encode(ReadOnlySpan<float> wav);
}
