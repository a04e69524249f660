namespace SpeechTok.Lm.Serialization;

/// <summary>
/// Where a serialised sample's selected audio tokens lie and how many of them a right truncation keeps.
/// <paramref name="First"/> and <paramref name="Last"/> are 0-based positions in the untruncated sequence (so a max
/// length of <c>First + 1</c> keeps one audio token and <c>Last + 1</c> keeps them all); they mean nothing when
/// <paramref name="Count"/> is 0. <c>default</c> is a sample without audio tokens: text only, or a clip none of whose
/// codes was selected. An audio-vector sample's span is its one <see cref="AudioVocabulary.AudioVectorSlot"/>.
/// </summary>
/// <param name="First">Position of the first audio token.</param>
/// <param name="Last">Position of the last audio token.</param>
/// <param name="Count">Audio tokens in the untruncated sequence.</param>
/// <param name="Kept">Audio tokens left after the truncation (0 ≤ Kept ≤ Count).</param>
public readonly record struct AudioTokenSpan(int First, int Last, int Count, int Kept)
{
    /// <summary>The truncation cut some of the sample's audio tokens (perhaps all).</summary>
    public bool Cut => Kept < Count;

    /// <summary>The sample had audio tokens and the truncation cut every one.</summary>
    public bool AllCut => Count > 0 && Kept == 0;

    /// <summary>Finds the tokens of <paramref name="isAudio"/> in <paramref name="full"/>, of which the first <paramref name="maxLength"/> are kept.</summary>
    public static AudioTokenSpan Find(int[] full, int maxLength, Func<int, bool> isAudio)
    {
        ArgumentNullException.ThrowIfNull(full);
        int first = -1, last = -1, count = 0, kept = 0;
        for (int i = 0; i < full.Length; i++)
        {
            if (!isAudio(full[i])) continue;
            if (first < 0) first = i;
            last = i;
            count++;
            if (i < maxLength) kept++;
        }
        return count == 0 ? default : new AudioTokenSpan(first, last, count, kept);
    }
}
