namespace SpeechTok.Experiments.Mosei;

/// <summary>What <c>speechtok mosei</c> converts (see <see cref="MoseiConverter"/>).</summary>
public sealed record MoseiOptions
{
    /// <summary>The per-segment table (CSV): video_id, segment_id, start, end, text, sentiment, the six emotions, optional split.</summary>
    public required string Table { get; init; }
    /// <summary>Folder of the full-video audio files, <c>{video_id}.wav</c> (any format <c>ffmpeg</c> reads works under another extension).</summary>
    public required string AudioDir { get; init; }
    /// <summary>Output folder: <c>sent.csv</c> / <c>emo.csv</c>, their label-name sidecars, and <c>clips/</c> (shared by both tasks).</summary>
    public required string Out { get; init; }
    public MoseiTask Task { get; init; } = MoseiTask.Sent;
    /// <summary>JSON <c>{"train": [video ids], "valid": [...], "test": [...]}</c> (the CMU-MultimodalSDK standard folds) when the table has no split column.</summary>
    public string? Folds { get; init; }
    /// <summary>SENT only: drop segments whose sentiment is exactly 0 (the "negative vs positive" convention) instead of counting them positive.</summary>
    public bool ExcludeNeutral { get; init; }
}
