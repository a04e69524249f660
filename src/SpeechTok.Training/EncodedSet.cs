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
    /// <see cref="AudioTokenSpan"/>); null for text only and for audio-vector sets.</summary>
    public AudioTokenSpan[]? Audio { get; init; }
    /// <summary>Per row of an audio-vector set, where its <see cref="AudioVocabulary.AudioVectorSlot"/> lies and whether the
    /// truncation kept it (see <see cref="RequireVectorSlotKept"/>); null for other sets.</summary>
    public AudioTokenSpan[]? VectorSlots { get; init; }
    /// <summary>Per row, its length in tokens before the max length cut it (<see cref="SerializedSample.FullLength"/>), for
    /// <see cref="WarnCut"/>; null when not known.</summary>
    public int[]? FullLengths { get; init; }

    public EncodedSet Subset(IReadOnlyList<int> rows, string name) =>
        new(name, rows.Select(i => Keys[i]).ToArray(), rows.Select(i => Ids[i]).ToArray(), rows.Select(i => Labels[i]).ToArray(),
            rows.Select(i => TruncatedRows[i]).ToArray())
        {
            Vectors = Vectors is null ? null : rows.Select(i => Vectors[i]).ToArray(),
            Audio = Audio is null ? null : rows.Select(i => Audio[i]).ToArray(),
            VectorSlots = VectorSlots is null ? null : rows.Select(i => VectorSlots[i]).ToArray(),
            FullLengths = FullLengths is null ? null : rows.Select(i => FullLengths[i]).ToArray(),
        };

    /// <summary>
    /// Refuses a max length that cut every audio token of every row that has some (the audio tokens' rows would then
    /// learn from, or be read on, nothing), naming how many rows lost them and the max lengths that keep one in every row and keep them
    /// all; when it cut the audio tokens of only some rows, writes a warning with the counts to <paramref name="log"/>.
    /// Silent when nothing was cut, and for sets without audio tokens (text only, audio vector).
    /// </summary>
    /// <param name="option">How the max length is named in the messages: the CLI's <c>--max-length</c>, or the field of
    /// the experiment preset that set it.</param>
    /// <param name="maxLength">The max length the set was encoded with, in tokens.</param>
    /// <param name="log">Receives the warning.</param>
    /// <exception cref="SpeechTokException">No row with audio tokens kept one; or no row has any audio token at all (the
    /// selection's tokens do not occur in these codes: a run with them would be text only under an audio system's name).</exception>
    public void RequireAudioKept(string option, int maxLength, Action<string>? log)
    {
        if (Audio != null && Count > 0 && Array.TrueForAll(Audio, a => a.Count == 0))
            throw new SpeechTokException($"none of the {Count} {Name} samples contains one of the selection's audio tokens, so the run would read text only; " +
                "were they selected on other codes (a `select --random` without --codes draws among every code of every layer)? select on this code store");
        if (AudioCut() is not { } c) return;
        if (c.AllCut.Count == c.WithAudio.Count)
            throw new SpeechTokException($"{option} {maxLength} cuts every audio token of the {Name} samples: all {c.WithAudio.Count} samples with audio tokens lose them; " +
                $"{option} {c.KeepsOne} keeps at least one in every sample, {c.KeepsAll} keeps them all");
        log?.Invoke($"warning: {option} {maxLength} cuts {CutCounts(c)}; {option} {c.KeepsAll} keeps them all");
    }

    /// <summary>
    /// The audio-vector system's <see cref="RequireAudioKept"/>: its slot sits after the text, so a max length can cut it, and
    /// a row without it reads no utterance vector. Refuses a max length that cut the slot of every row (the run would read
    /// text only), naming the max length that keeps it in every row; when it cut the slot of some rows, writes a warning
    /// with the counts to <paramref name="log"/>. Silent when no slot was cut, and for other sets.
    /// </summary>
    /// <exception cref="SpeechTokException">No row kept its slot.</exception>
    public void RequireVectorSlotKept(string option, int maxLength, Action<string>? log)
    {
        if (VectorSlots == null) return;
        Func<int, string> keeps = all => $"{option} {all} keeps it in every sample";
        if (VectorSlots.All(s => s.AllCut))
            throw new SpeechTokException($"{option} {maxLength} cuts the {AudioVocabulary.AudioVectorSlot} slot of all {Count} {Name} samples, so the run would read "
                + $"no utterance vector, only text; {keeps(VectorSlots.Max(s => s.Last) + 1)}");
        WarnVectorSlotCut($"{option} {maxLength}", log, keeps);
    }

    /// <summary>
    /// Writes a warning to <paramref name="log"/> when <paramref name="what"/> (the max length) cut the
    /// <see cref="AudioVocabulary.AudioVectorSlot"/> of some rows, whose utterance vectors are then not read: the counts, an
    /// example key and <paramref name="remedy"/>(the max length that keeps every slot). Silent otherwise, and for other sets.
    /// </summary>
    public void WarnVectorSlotCut(string what, Action<string>? log, Func<int, string> remedy)
    {
        if (VectorSlots == null) return;
        var lost = Enumerable.Range(0, Count).Where(i => VectorSlots[i].AllCut).ToList();
        if (lost.Count == 0) return;
        log?.Invoke($"warning: {what} cuts the {AudioVocabulary.AudioVectorSlot} slot of {lost.Count} of the {Count} {Name} samples (e.g. {Keys[lost[0]]}), "
            + $"whose utterance vectors are then not read; {remedy(VectorSlots.Max(s => s.Last) + 1)}");
    }

    /// <summary>
    /// For samples predicted with a fine-tuned run, whose max length is fixed: writes a warning to <paramref name="log"/>
    /// when the max length (<paramref name="what"/>, e.g. "run.json's max_length 256") cut audio tokens of some or all
    /// rows, with the counts; those predictions read only the audio tokens kept. Silent when nothing was cut.
    /// </summary>
    public void WarnAudioCut(string what, Action<string>? log)
    {
        if (AudioCut() is { } c)
            log?.Invoke($"warning: {what} cuts {CutCounts(c)}; their predictions read only the audio tokens kept (fine-tune with a max length of {c.KeepsAll} to keep them all)");
    }

    /// <summary>
    /// The truncation warning of sets without audio tokens (text only, audio vector), whose cuts <see cref="RequireAudioKept"/>
    /// and <see cref="WarnAudioCut"/> do not see: when the max length (<paramref name="what"/>: "--max-length 1", "the run's
    /// max_length 256 (run.json)") cut rows on the right, writes to <paramref name="log"/> how many, what one of them kept, and
    /// then <paramref name="keepAll"/> of the length that keeps every row whole. Silent when nothing was cut, for sets with
    /// audio tokens, and when the lengths before the cut are not known.
    /// </summary>
    public void WarnCut(string what, Action<string>? log, Func<int, string> keepAll)
    {
        if (Audio != null || FullLengths == null) return;
        var cut = Enumerable.Range(0, Count).Where(i => FullLengths[i] > Ids[i].Length).ToList();
        if (cut.Count == 0) return;
        int e = cut[0];
        string firstOnly = Ids.All(r => r.Length <= 1) ? "; every sample keeps only its first token, so nothing of its text is read" : "";
        log?.Invoke($"warning: {what} cuts {cut.Count} of the {Count} {Name} samples on the right (e.g. {Keys[e]} keeps {Ids[e].Length} of its {FullLengths[e]} tokens{firstOnly}); "
            + keepAll(FullLengths.Max()));
    }

    /// <summary>The rows with audio tokens, those that lost some and those that lost all, and the 1-based max lengths that
    /// keep a row's first (last) audio token in every row; null when nothing was cut.</summary>
    private (List<int> WithAudio, List<int> Cut, List<int> AllCut, int KeepsOne, int KeepsAll)? AudioCut()
    {
        var withAudio = Enumerable.Range(0, Count).Where(i => Audio?[i].Count > 0).ToList();
        var cut = withAudio.Where(i => Audio![i].Cut).ToList();
        if (cut.Count == 0) return null;
        return (withAudio, cut, cut.Where(i => Audio![i].AllCut).ToList(), withAudio.Max(i => Audio![i].First) + 1, withAudio.Max(i => Audio![i].Last) + 1);
    }

    private string CutCounts((List<int> WithAudio, List<int> Cut, List<int> AllCut, int KeepsOne, int KeepsAll) c) =>
        $"audio tokens of {c.Cut.Count} of the {c.WithAudio.Count} {Name} samples with audio tokens " +
        $"({(c.AllCut.Count == 0 ? "each keeps some" : $"none left in {c.AllCut.Count} of them, e.g. {Keys[c.AllCut[0]]}")})";

    /// <summary>Serialises <paramref name="samples"/>; codes come from <paramref name="codes"/> (null: text only).</summary>
    public static EncodedSet Encode(string name, IReadOnlyList<ManifestSample> samples, SampleSerializer serializer, CodeStore? codes)
    {
        var ids = new int[samples.Count][];
        var truncated = new bool[samples.Count];
        var audio = new AudioTokenSpan[samples.Count];
        var full = new int[samples.Count];
        for (int i = 0; i < samples.Count; i++)
        {
            var s = samples[i];
            int[][]? c = null;
            if (serializer.NeedsCodes)
                c = codes!.Get(s);
            var r = serializer.Serialize(s.Text, c);
            ids[i] = r.Ids;
            truncated[i] = r.Truncated;
            full[i] = r.FullLength;
            audio[i] = r.Audio;
        }
        return new EncodedSet(name, samples.Select(s => s.Key).ToArray(), ids, samples.Select(s => s.Labels).ToArray(), truncated)
            {
                Audio = serializer.NeedsCodes ? audio : null, // text only: no audio token to find
                VectorSlots = serializer.Mode == SerializationMode.AudioVector ? audio : null, FullLengths = full,
            };
    }
}
