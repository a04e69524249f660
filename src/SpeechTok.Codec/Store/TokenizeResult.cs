namespace SpeechTok.Codec.Store;

/// <summary>What a <see cref="Tokenization.Run"/> did: samples in all, already done (skipped), encoded now, and the store's repairs.</summary>
public sealed record TokenizeResult(int Total, int Skipped, int Encoded, long TornTailBytes, int DamagedRecords)
{
    /// <summary>Of the skipped: samples whose clips had moved (same bytes, other path or time) and whose records were re-stamped.</summary>
    public int Restamped { get; init; }
}
