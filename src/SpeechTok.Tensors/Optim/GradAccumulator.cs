namespace SpeechTok.Tensors.Optim;

/// <summary>
/// Gradient accumulation over micro-batches. Backward passes add into the gradients; after each one,
/// <see cref="Add"/> records its weight (1 to average mean losses, or the micro-batch's item count when
/// each backward differentiates a summed loss, like HF Trainer's num_items_in_batch). <see cref="Finish"/>
/// divides the summed gradients by the total weight, leaving what one big batch would have given.
/// </summary>
public sealed class GradAccumulator(IReadOnlyList<Parameter> parameters)
{
    public double TotalWeight { get; private set; }
    public int MicroBatches { get; private set; }

    public void Add(double weight = 1)
    {
        if (!(weight >= 0)) throw new ArgumentOutOfRangeException(nameof(weight), $"micro-batch weight {weight} must be non-negative");
        TotalWeight += weight;
        MicroBatches++;
    }

    /// <summary>Scales the gradients by 1/total weight, resets the counters and returns the total weight.</summary>
    public double Finish()
    {
        if (TotalWeight <= 0) throw new InvalidOperationException("no weighted micro-batch was accumulated");
        double total = TotalWeight;
        GradClip.Scale(parameters, 1.0 / total);
        TotalWeight = 0;
        MicroBatches = 0;
        return total;
    }

    public void ZeroGrad()
    {
        foreach (var p in parameters) p.ZeroGrad();
        TotalWeight = 0;
        MicroBatches = 0;
    }
}
