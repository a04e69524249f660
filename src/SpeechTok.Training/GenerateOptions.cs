namespace SpeechTok.Training;

/// <summary>Sampling settings: temperature 0 is greedy (argmax); top-k 0 keeps the whole vocabulary.</summary>
public sealed record GenerateOptions
{
    public int MaxNewTokens { get; init; } = 50;
    public double Temperature { get; init; } = 0.8;
    public int TopK { get; init; } = 40;
    public ulong Seed { get; init; } = 0;

    /// <summary>Checks every setting; errors name the CLI option.</summary>
    public void Validate()
    {
        if (MaxNewTokens < 0) throw new SpeechTokException($"--max-new-tokens {MaxNewTokens} must be non-negative");
        if (!(Temperature >= 0 && double.IsFinite(Temperature))) throw new SpeechTokException($"--temperature {Temperature} must be a finite number ≥ 0");
        if (TopK < 0) throw new SpeechTokException($"--top-k {TopK} must be non-negative");
    }
}
