using SpeechTok.Tensors;

namespace SpeechTok.Lm.Model;

/// <summary>
/// LoRA on some projections of every layer, with dropout on each adapter's input only. The targets are PEFT's
/// <c>target_modules</c> names; the default is the method's q_proj and v_proj, PEFT's "all-linear" on a decoder is
/// <see cref="LayerProjections"/> (every projection of every layer; not the head). Scale α/r, or α/√r with rsLoRA
/// (PEFT's <c>use_rslora</c>).
/// </summary>
public sealed class LoraAdapters
{
    /// <summary>The projections of one decoder layer, in the order the forward pass applies them.</summary>
    public static readonly string[] LayerProjections = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];

    /// <summary>The method's targets (METHOD.md §4.5).</summary>
    public static readonly string[] DefaultTargets = ["q_proj", "v_proj"];

    public int Rank { get; }
    public float Alpha { get; }
    public float Dropout { get; }
    public bool UseRslora { get; }
    public float Scale => UseRslora ? Alpha / MathF.Sqrt(Rank) : Alpha / Rank;
    /// <summary>The adapted projections, in <see cref="LayerProjections"/> order.</summary>
    public IReadOnlyList<string> TargetModules { get; }
    /// <summary>Every adapter, in initialisation order: q_proj and v_proj of every layer first, then the other targets.</summary>
    public IReadOnlyList<LoraLinear> All { get; }
    /// <summary>Dropout is applied only while training.</summary>
    public bool Training { get; set; }
    /// <summary>Seed of the dropout masks; each training forward advances <see cref="Step"/>.</summary>
    public ulong Seed { get; set; }
    public long Step { get; set; }

    private readonly LoraLinear[]?[] _byProjection; // index: LayerProjections; null when not a target

    /// <summary>
    /// A ~ kaiming-uniform(a=√5) = U(±1/√in), B = 0 (PEFT's default), from <paramref name="seed"/>. The A factors
    /// are drawn q_proj and v_proj first, so the default targets give the same numbers as before other targets existed.
    /// </summary>
    /// <param name="targetModules">Names from <see cref="LayerProjections"/> (any order, no repeats); null = <see cref="DefaultTargets"/>.</param>
    /// <exception cref="SpeechTokException">A non-positive rank, a dropout outside [0, 1), or an unknown, repeated or empty target list.</exception>
    public LoraAdapters(LlamaConfig c, int rank, float alpha, float dropout, ulong seed, bool useRslora = false, IReadOnlyList<string>? targetModules = null)
    {
        if (rank <= 0) throw new SpeechTokException($"LoRA rank must be positive, got {rank}");
        if (dropout < 0 || dropout >= 1) throw new SpeechTokException($"LoRA dropout {dropout} is outside [0, 1)");
        Rank = rank; Alpha = alpha; Dropout = dropout; Seed = seed; UseRslora = useRslora;
        TargetModules = CheckTargets(targetModules ?? DefaultTargets);
        _byProjection = new LoraLinear[]?[LayerProjections.Length];
        for (int p = 0; p < LayerProjections.Length; p++)
            if (TargetModules.Contains(LayerProjections[p]))
                _byProjection[p] = Enumerable.Range(0, c.NumLayers).Select(_ => new LoraLinear(Shape(c, p).In, Shape(c, p).Out, rank)).ToArray();
        All = InitOrder().SelectMany(p => _byProjection[p]!).ToArray();
        var rng = Rng.ForPurpose(seed, "lora.A");
        foreach (var l in All) rng.KaimingUniform(l.A, l.In);
    }

    /// <summary>The adapters of <paramref name="projection"/> (one per layer), or null when it is not a target.</summary>
    public IReadOnlyList<LoraLinear>? this[string projection] => _byProjection[IndexOf(projection)];

    /// <summary>The adapter of projection index <paramref name="p"/> (in <see cref="LayerProjections"/>) at layer <paramref name="layer"/>, or null.</summary>
    internal LoraLinear? At(int p, int layer) => _byProjection[p]?[layer];

    /// <summary>q_proj's adapters (empty when q_proj is not a target).</summary>
    public IReadOnlyList<LoraLinear> QProj => this["q_proj"] ?? [];
    /// <summary>v_proj's adapters (empty when v_proj is not a target).</summary>
    public IReadOnlyList<LoraLinear> VProj => this["v_proj"] ?? [];

    public void ZeroGrad()
    {
        foreach (var l in All) { Array.Clear(l.GradA); Array.Clear(l.GradB); }
    }

    /// <summary>(in, out) features of projection index <paramref name="p"/> (in <see cref="LayerProjections"/>) for <paramref name="c"/>.</summary>
    internal static (int In, int Out) Shape(LlamaConfig c, int p)
    {
        int h = c.HiddenSize, qd = c.NumHeads * c.HeadDim, kd = c.NumKvHeads * c.HeadDim, im = c.IntermediateSize;
        return p switch { 0 => (h, qd), 1 or 2 => (h, kd), 3 => (qd, h), 4 or 5 => (h, im), _ => (im, h) };
    }

    /// <summary>Index of a projection name in <see cref="LayerProjections"/>.</summary>
    public static int IndexOf(string projection) => Array.IndexOf(LayerProjections, projection) is var i and >= 0 ? i
        : throw new SpeechTokException($"'{projection}' is not a projection of a Llama layer (expected one of {string.Join(", ", LayerProjections)})");

    /// <summary>Projection indices in initialisation order: q_proj, v_proj, then the others in layer order.</summary>
    private IEnumerable<int> InitOrder() =>
        new[] { 0, 2 }.Concat(Enumerable.Range(0, LayerProjections.Length).Where(p => p is not (0 or 2))).Where(p => _byProjection[p] != null);

    /// <summary>The targets in layer order; refuses an empty list, a name given twice or one that is not a projection.</summary>
    public static string[] CheckTargets(IReadOnlyList<string> targets)
    {
        if (targets.Count == 0) throw new SpeechTokException("LoRA needs at least one target module");
        var repeated = targets.GroupBy(t => t).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        if (repeated.Count > 0) throw new SpeechTokException($"LoRA target module(s) {string.Join(", ", repeated)} listed twice");
        foreach (var t in targets) IndexOf(t);
        return LayerProjections.Where(targets.Contains).ToArray();
    }
}
