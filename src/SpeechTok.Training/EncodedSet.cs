using SpeechTok.Audio;
using SpeechTok.Codec.Store;
using SpeechTok.Lm.Serialization;

namespace SpeechTok.Training;

/// <summary>
/// Serialised samples of one split: LM input ids, labels, keys, how many were truncated, and for the audio-vector
/// system the normalised utterance vector of each sample.
/// </summary>
public sealed record EncodedSet(string Name, string[] Keys, int[][] Ids, int[][] Labels, bool[] TruncatedRows)
{
    public int Count => Ids.Length;
    public int Truncated => TruncatedRows.Count(x => x);
    /// <summary>The audio-vector system's inputs [Count][dim] (see <see cref="AudioVectors"/>); null for other systems.</summary>
    public float[][]? Vectors { get; init; }
    /// <summary>Per row, where its first selected audio token lies in the untruncated sequence (−1: none; see
    /// <see cref="SerializedSample.FirstAudioToken"/>); null when the set was not made by <see cref="Encode"/>.</summary>
    public int[]? FirstAudioTokens { get; init; }

    public EncodedSet Subset(IReadOnlyList<int> rows, string name) =>
        new(name, rows.Select(i => Keys[i]).ToArray(), rows.Select(i => Ids[i]).ToArray(), rows.Select(i => Labels[i]).ToArray(),
            rows.Select(i => TruncatedRows[i]).ToArray())
        {
            Vectors = Vectors is null ? null : rows.Select(i => Vectors[i]).ToArray(),
            FirstAudioTokens = FirstAudioTokens is null ? null : rows.Select(i => FirstAudioTokens[i]).ToArray(),
        };

    /// <summary>Serialises <paramref name="samples"/>; codes come from <paramref name="codes"/> (null: text only).</summary>
    public static EncodedSet Encode(string name, IReadOnlyList<ManifestSample> samples, SampleSerializer serializer, CodeStore? codes)
    {
        var ids = new int[samples.Count][];
        var truncated = new bool[samples.Count];
        var firstAudio = new int[samples.Count];
        for (int i = 0; i < samples.Count; i++)
        {
            var s = samples[i];
            int[][]? c = null;
            if (serializer.NeedsCodes)
                c = codes!.Get(s);
            var r = serializer.Serialize(s.Text, c);
            ids[i] = r.Ids;
            truncated[i] = r.Truncated;
            firstAudio[i] = r.FirstAudioToken;
        }
        return new EncodedSet(name, samples.Select(s => s.Key).ToArray(), ids, samples.Select(s => s.Labels).ToArray(), truncated) { FirstAudioTokens = firstAudio };
    }
}
