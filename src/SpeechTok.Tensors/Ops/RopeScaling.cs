namespace SpeechTok.Tensors.Ops;

/// <summary>
/// HF rope_scaling: rope_type "default" (null), "linear" (<see cref="Factor"/> only), "dynamic" (<see cref="Factor"/>
/// only; dynamic NTK, which equals the default for sequences up to max_position_embeddings, the only ones run here) or
/// "llama3" with its four parameters (the others 0 for linear and dynamic).
/// </summary>
public sealed record RopeScaling(string Type, double Factor, double LowFreqFactor, double HighFreqFactor, int OriginalMaxPositionEmbeddings)
{
    /// <summary>transformers' linear scaling (<c>_compute_linear_scaling_rope_parameters</c>): every inv_freq divided by <paramref name="factor"/>.</summary>
    public static RopeScaling Linear(double factor) => new("linear", factor, 0, 0, 0);

    /// <summary>transformers' dynamic NTK scaling (<c>_compute_dynamic_ntk_parameters</c>); see <see cref="Rope.InverseFrequencies"/>.</summary>
    public static RopeScaling Dynamic(double factor) => new("dynamic", factor, 0, 0, 0);
}
