using SpeechTok.Audio;
using SpeechTok.Codec.Store;
using SpeechTok.Lm.Serialization;

namespace SpeechTok.Training;

/// <summary>
/// Serialised samples of one split (<paramref name="Name"/>: train, val, test, or pre-training for pre-training's corpus):
/// LM input ids, labels, keys, how many were truncated, where the audio tokens lie and how many the truncation kept, and
/// for the audio-vector system the normalised utterance vector of each sample.
/// </summary>
public sealed record EncodedSet(string Name, string[] Keys, int[][] Ids, int[][] Labels, bool[] TruncatedRows)
{
    public int Count => Ids.Length;
    public int Truncated => TruncatedRows.Count(x => x);
    /// <summary>The audio-vector system's inputs [Count][dim] (see <see cref="AudioVectors"/>); null for other systems.</summary>
    public float[][]? Vectors { get; init; }
    /// <summary>Per row, where its selected audio tokens lie and how many the truncation kept (see
    /// <see cref="AudioTokenSpan"/>); null when the set was not made by <see cref="Encode"/>.</summary>
    public AudioTokenSpan[]? Audio { get; init; }

    public EncodedSet Subset(IReadOnlyList<int> rows, string name) =>
        new(name, rows.Select(i => Keys[i]).ToArray(), rows.Select(i => Ids[i]).ToArray(), rows.Select(i => Labels[i]).ToArray(),
            rows.Select(i => TruncatedRows[i]).ToArray())
        {
            Vectors = Vectors is null ? null : rows.Select(i => Vectors[i]).ToArray(),
            Audio = Audio is null ? null : rows.Select(i => Audio[i]).ToArray(),
        };

    /// <summary>
    /// Refuses a max length that cut every audio token of every row that has some (the audio tokens' rows would then
    /// learn from, or be read on, nothing), naming how many rows lost them and the max lengths that keep one in every row and keep them
    /// all; when it cut the audio tokens of only some rows, writes a warning with the counts to <paramref name="log"/>.
    /// Silent when nothing was cut, and for sets without audio tokens (text only, audio vector) or not made by
    /// <see cref="Encode"/>.
    /// </summary>
    /// <param name="option">How the max length is named in the messages: the CLI's <c>--max-length</c>, or the field of
    /// the experiment preset that set it.</param>
    /// <param name="maxLength">The max length the set was encoded with, in tokens.</param>
    /// <param name="log">Receives the warning.</param>
    /// <exception cref="SpeechTokException">No row with audio tokens kept one.</exception>
    public void RequireAudioKept(string option, int maxLength, Action<string>? log)
    {
        var withAudio = Enumerable.Range(0, Count).Where(i => Audio?[i].Count > 0).ToList();
        var cut = withAudio.Where(i => Audio![i].Cut).ToList();
        if (cut.Count == 0) return;
        var allCut = cut.Where(i => Audio![i].AllCut).ToList();
        // 1-based positions: the max length that keeps a row's first (last) audio token
        int keepsOne = withAudio.Max(i => Audio![i].First) + 1, keepsAll = withAudio.Max(i => Audio![i].Last) + 1;
        if (allCut.Count == withAudio.Count)
            throw new SpeechTokException($"{option} {maxLength} cuts every audio token of the {Name} samples: all {withAudio.Count} samples with audio tokens lose them; " +
                $"{option} {keepsOne} keeps at least one in every sample, {keepsAll} keeps them all");
        log?.Invoke($"warning: {option} {maxLength} cuts audio tokens of {cut.Count} of the {withAudio.Count} {Name} samples with audio tokens " +
            $"({(allCut.Count == 0 ? "each keeps some" : $"none left in {allCut.Count} of them, e.g. {Keys[allCut[0]]}")}); {option} {keepsAll} keeps them all");
    }

    /// <summary>Serialises <paramref name="samples"/>; codes come from <paramref name="codes"/> (null: text only).</summary>
    public static EncodedSet Encode(string name, IReadOnlyList<ManifestSample> samples, SampleSerializer serializer, CodeStore? codes)
    {
        var ids = new int[samples.Count][];
        var truncated = new bool[samples.Count];
        var audio = new AudioTokenSpan[samples.Count];
        for (int i = 0; i < samples.Count; i++)
        {
            var s = samples[i];
            int[][]? c = null;
            if (serializer.NeedsCodes)
                c = codes!.Get(s);
            var r = serializer.Serialize(s.Text, c);
            ids[i] = r.Ids;
            truncated[i] = r.Truncated;
            audio[i] = r.Audio;
        }
        return new EncodedSet(name, samples.Select(s => s.Key).ToArray(), ids, samples.Select(s => s.Labels).ToArray(), truncated) { Audio = audio };
    }
}
