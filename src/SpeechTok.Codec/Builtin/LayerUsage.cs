namespace SpeechTok.Codec.Builtin;

/// <summary>Codebook usage of one layer on the fitting frames: used codes and the perplexity exp(H) of the code histogram.</summary>
public sealed record LayerUsage(int Layer, int Size, int Used, double Perplexity)
{
    public double UsedFraction => (double)Used / Size;
}
