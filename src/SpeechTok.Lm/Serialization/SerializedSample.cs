namespace SpeechTok.Lm.Serialization;

/// <summary>
/// One serialised sample: ids after right truncation, the length before it, and the position in the untruncated
/// sequence of its first selected audio token (−1 when it has none: text only, an audio-vector sample, or a clip none
/// of whose codes was selected).
/// </summary>
public readonly record struct SerializedSample(int[] Ids, int FullLength, int FirstAudioToken = -1)
{
    public bool Truncated => FullLength > Ids.Length;
    /// <summary>The sample had audio tokens and the truncation cut all of them.</summary>
    public bool AudioCut => FirstAudioToken >= Ids.Length;
}
