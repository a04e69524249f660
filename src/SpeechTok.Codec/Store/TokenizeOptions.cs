namespace SpeechTok.Codec.Store;

public sealed record TokenizeOptions
{
    public int Threads { get; init; } = Environment.ProcessorCount;
    public bool Mixdown { get; init; }
    /// <summary>Also write one JSON line per sample {"split","index","codes"} here (manifest order).</summary>
    public string? JsonlPath { get; init; }
}
