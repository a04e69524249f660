namespace SpeechTok.Training;

/// <summary>Size and training of the built-in LM (defaults: 2 layers, hidden 128, GQA 4/2 heads, 512 BPE merges).</summary>
public sealed record BuiltinLmOptions
{
    public int Hidden { get; init; } = 128;
    public int Layers { get; init; } = 2;
    public int Heads { get; init; } = 4;
    public int KvHeads { get; init; } = 2;
    public int Intermediate { get; init; } = 344;
    public int Merges { get; init; } = 512;
    public int Epochs { get; init; } = 3;
    public int BatchSize { get; init; } = 16;
    public int MaxLength { get; init; } = 128;
    public double Lr { get; init; } = 1e-2;
    public ulong Seed { get; init; } = 1234;

    public override string ToString() =>
        $"h{Hidden} l{Layers} a{Heads}/{KvHeads} i{Intermediate} m{Merges} e{Epochs} b{BatchSize} t{MaxLength} lr{Lr:R} s{Seed}";
}
