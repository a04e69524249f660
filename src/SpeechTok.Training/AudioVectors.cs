using SpeechTok.Audio;
using SpeechTok.Codec;
using SpeechTok.Tensors;

namespace SpeechTok.Training;

/// <summary>
/// The utterance vectors of the audio-vector system: one <see cref="IUtteranceEncoder"/> vector a sample (its clips
/// concatenated). Runs standardise them with the train split's statistics (<see cref="Selection.ZScore"/>, kept in run.json).
/// </summary>
public static class AudioVectors
{
    /// <summary>Raw vectors of <paramref name="samples"/> in order (parallel; every clip must exist), each clip's channel 0 or,
    /// with <paramref name="mixdown"/>, the average of its channels.</summary>
    public static float[][] Encode(IReadOnlyList<ManifestSample> samples, IUtteranceEncoder encoder, bool mixdown)
    {
        var v = new float[samples.Count][];
        Threading.For(samples.Count, i =>
        {
            var e = encoder.Encode(AudioLoader.LoadSample(samples[i], mixdown));
            if (e.Length != encoder.Dim || !Array.TrueForAll(e, float.IsFinite))
                throw new SpeechTokException($"audio encoder {encoder.Identity}: sample {samples[i].Key} (manifest line {samples[i].Line}) gave {e.Length} values, expected {encoder.Dim} finite ones");
            v[i] = e;
        });
        return v;
    }
}
