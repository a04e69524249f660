namespace SpeechTok.Codec.Store;

public sealed record TokenizeOptions
{
    public int Threads { get; init; } = Environment.ProcessorCount;
    public bool Mixdown { get; init; }
    /// <summary>
    /// Refuse, before encoding anything, a sample whose record was made from other audio (a clip changed or the
    /// manifest was reordered), instead of encoding it again: for folders whose later steps were made from the old codes.
    /// </summary>
    public string? RefuseChangedBecause { get; init; }
    /// <summary>Also write one JSON line per sample {"split","index","codes"} here (manifest order).</summary>
    public string? JsonlPath { get; init; }
}
