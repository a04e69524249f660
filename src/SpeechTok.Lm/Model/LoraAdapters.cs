using SpeechTok.Tensors;

namespace SpeechTok.Lm.Model;

/// <summary>
/// LoRA on q_proj and v_proj of every layer (the method's targets), with dropout on the LoRA input only.
/// Scale α/r, or α/√r with rsLoRA (PEFT's <c>use_rslora</c>).
/// </summary>
public sealed class LoraAdapters
{
    public int Rank { get; }
    public float Alpha { get; }
    public float Dropout { get; }
    public bool UseRslora { get; }
    public float Scale => UseRslora ? Alpha / MathF.Sqrt(Rank) : Alpha / Rank;
    public IReadOnlyList<LoraLinear> QProj { get; }
    public IReadOnlyList<LoraLinear> VProj { get; }
    /// <summary>Dropout is applied only while training.</summary>
    public bool Training { get; set; }
    /// <summary>Seed of the dropout masks; each training forward advances <see cref="Step"/>.</summary>
    public ulong Seed { get; set; }
    public long Step { get; set; }

    /// <summary>A ~ kaiming-uniform(a=√5) = U(±1/√in), B = 0 (PEFT's default), from <paramref name="seed"/>.</summary>
    public LoraAdapters(LlamaConfig c, int rank, float alpha, float dropout, ulong seed, bool useRslora = false)
    {
        if (rank <= 0) throw new SpeechTokException($"LoRA rank must be positive, got {rank}");
        if (dropout < 0 || dropout >= 1) throw new SpeechTokException($"LoRA dropout {dropout} is outside [0, 1)");
        Rank = rank; Alpha = alpha; Dropout = dropout; Seed = seed; UseRslora = useRslora;
        int h = c.HiddenSize;
        QProj = Enumerable.Range(0, c.NumLayers).Select(_ => new LoraLinear(h, c.NumHeads * c.HeadDim, rank)).ToArray();
        VProj = Enumerable.Range(0, c.NumLayers).Select(_ => new LoraLinear(h, c.NumKvHeads * c.HeadDim, rank)).ToArray();
        var rng = Rng.ForPurpose(seed, "lora.A");
        foreach (var l in QProj.Concat(VProj)) rng.KaimingUniform(l.A, h);
    }

    public IEnumerable<LoraLinear> All => QProj.Concat(VProj);

    public void ZeroGrad()
    {
        foreach (var l in All) { Array.Clear(l.GradA); Array.Clear(l.GradB); }
    }
}
