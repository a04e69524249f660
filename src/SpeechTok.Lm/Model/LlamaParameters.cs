using SpeechTok.Tensors;
using SpeechTok.Tensors.Optim;

namespace SpeechTok.Lm.Model;

/// <summary>
/// The trainable tensors of a Llama for full-parameter training: one <see cref="Parameter"/> per checkpoint
/// tensor, named exactly as the checkpoint key (<c>model.layers.0.self_attn.q_proj.weight</c>,
/// <c>model.embed_tokens.weight</c>, <c>lm_head.weight</c> only when untied). Each parameter's value IS the
/// model's weight tensor, so an optimizer step changes the model in place; each gradient has the weight's
/// shape and is ADDED to by <see cref="LlamaForCausalLm.LossAndGradients"/> (torch semantics).
/// No weight decay on 1-D tensors (norm weights and biases), as HF Trainer and nanoGPT.
/// </summary>
public sealed unsafe class LlamaParameters
{
    public LlamaWeights Weights { get; }

    /// <summary>The trainable parameters, in checkpoint order (<see cref="LlamaWeights.Named"/>).</summary>
    public IReadOnlyList<Parameter> All { get; }

    private readonly Dictionary<string, Parameter> _byName;
    private readonly Dictionary<Tensor, Parameter> _byTensor;

    private LlamaParameters(LlamaWeights weights, Parameter[] all)
    {
        Weights = weights;
        All = all;
        _byName = all.ToDictionary(p => p.Name, StringComparer.Ordinal);
        _byTensor = all.ToDictionary(p => p.Value, ReferenceEqualityComparer.Instance as IEqualityComparer<Tensor>);
    }

    /// <summary>The parameter of that checkpoint name, or null when it is frozen or not in the model.</summary>
    public Parameter? this[string name] => _byName.GetValueOrDefault(name);

    /// <summary>
    /// Wraps every checkpoint tensor of <paramref name="weights"/> for which <paramref name="trainable"/>
    /// (given the HF name; null = all) is true. Frozen tensors get no gradient and no optimizer state.
    /// Throws when a trainable tensor is not writable F32 (memory-mapped or 16-bit: load a copy with
    /// <see cref="LlamaWeights.ToWritableF32"/>). Appended vocabulary rows are not part of any parameter (their
    /// training is the new-row path, <see cref="LlamaForCausalLm.LossAndNewRowGradients"/>): they stay frozen.
    /// </summary>
    public static LlamaParameters Create(LlamaWeights weights, Func<string, bool>? trainable = null)
    {
        var all = new List<Parameter>();
        foreach (var (name, t) in weights.Named())
        {
            if (trainable != null && !trainable(name)) continue;
            if (t.DType != DType.F32 || t.IsReadOnly)
                throw new SpeechTokException($"weight '{name}' is {(t.IsReadOnly ? "read-only (memory-mapped) " : "")}{t.DType}: " +
                    "full-parameter training changes weights in place, so load with a writable F32 copy (LlamaWeights.ToWritableF32)");
            all.Add(Parameter.Full(name, t, decay: t.Rank > 1));
        }
        return new LlamaParameters(weights, [.. all]);
    }

    /// <summary>Zeroes every gradient (start of an accumulation window).</summary>
    public void ZeroGrad()
    {
        foreach (var p in All) p.ZeroGrad();
    }

    /// <summary>Gradient buffer of a model tensor, or null when the tensor is frozen (or absent).</summary>
    internal static float* GradOf(LlamaParameters? parameters, Tensor? weight) =>
        parameters != null && weight != null && parameters._byTensor.TryGetValue(weight, out var p) ? (float*)p.Grad.Pointer : null;
}
