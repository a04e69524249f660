namespace SpeechTok.Training;

/// <summary>Sampling settings: temperature 0 is greedy (argmax); top-k 0 keeps the whole vocabulary.</summary>
public sealed record GenerateOptions
{
    public int MaxNewTokens { get; init; } = 50;
    public double Temperature { get; init; } = 0.8;
    public int TopK { get; init; } = 40;
    public ulong Seed { get; init; } = 0;
}
