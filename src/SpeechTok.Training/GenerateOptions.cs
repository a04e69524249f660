namespace SpeechTok.Training;

/// <summary>
/// Sampling settings given explicitly: temperature 0 is greedy (argmax); top-k 0 keeps the whole vocabulary. A null one
/// takes the model's generation_config.json value (<see cref="GenerationConfig.Resolve"/>).
/// </summary>
public sealed record GenerateOptions
{
    /// <summary>New tokens when neither the option nor generation_config.json's max_new_tokens or max_length says.</summary>
    public const int DefaultMaxNewTokens = 50;

    public int? MaxNewTokens { get; init; }
    public double? Temperature { get; init; }
    public int? TopK { get; init; }
    public ulong Seed { get; init; } = 0;

    /// <summary>Checks every setting given; errors name the CLI option.</summary>
    public void Validate()
    {
        if (MaxNewTokens < 0) throw new SpeechTokException($"--max-new-tokens {MaxNewTokens} must be non-negative");
        if (Temperature is double t && !(t >= 0 && double.IsFinite(t))) throw new SpeechTokException($"--temperature {t} must be a finite number ≥ 0");
        if (TopK < 0) throw new SpeechTokException($"--top-k {TopK} must be non-negative");
    }
}
