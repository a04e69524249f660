namespace SpeechTok.Lm.Serialization;

/// <summary>
/// One serialised sample: ids after right truncation, the length before it, and where its selected audio tokens lie
/// and how many the truncation kept (<see cref="AudioTokenSpan"/>; for the audio-vector layout, its
/// <see cref="AudioVocabulary.AudioVectorSlot"/>; <c>default</c> when it has none).
/// </summary>
public readonly record struct SerializedSample(int[] Ids, int FullLength, AudioTokenSpan Audio = default)
{
    public bool Truncated => FullLength > Ids.Length;
}
