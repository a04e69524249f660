namespace SpeechTok.Lm.Model;

/// <summary>Summed causal-LM loss and its target count (HF ForCausalLMLoss; mean = Sum / Count).</summary>
public readonly record struct CausalLmLoss(double Sum, int Count)
{
    public double Mean => Count == 0 ? double.NaN : Sum / Count;
}
