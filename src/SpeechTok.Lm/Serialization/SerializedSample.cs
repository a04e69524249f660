namespace SpeechTok.Lm.Serialization;

/// <summary>One serialised sample: ids after right truncation, and the length before it.</summary>
public readonly record struct SerializedSample(int[] Ids, int FullLength)
{
    public bool Truncated => FullLength > Ids.Length;
}
