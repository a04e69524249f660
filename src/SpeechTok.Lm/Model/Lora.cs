using System.Runtime.CompilerServices;
using SpeechTok.Tensors;
using SpeechTok.Tensors.Ops;

namespace SpeechTok.Lm.Model;

/// <summary>
/// One PEFT LoRA adapter on a frozen projection: y += scale·(dropout(x)·Aᵀ)·Bᵀ with A [r, in], B [out, r],
/// scale = alpha / r. A, B and their gradients are owned, pinned F32 buffers.
/// </summary>
public sealed unsafe class LoraLinear
{
    public int In { get; }
    public int Out { get; }
    public int Rank { get; }
    public float[] A { get; }
    public float[] B { get; }
    public float[] GradA { get; }
    public float[] GradB { get; }

    internal LoraLinear(int inF, int outF, int rank)
    {
        In = inF; Out = outF; Rank = rank;
        A = GC.AllocateArray<float>(rank * inF, pinned: true);
        B = GC.AllocateArray<float>(outF * rank, pinned: true);
        GradA = GC.AllocateArray<float>(rank * inF, pinned: true);
        GradB = GC.AllocateArray<float>(outF * rank, pinned: true);
    }

    internal static float* Ptr(float[] a) => (float*)Unsafe.AsPointer(ref a[0]);

    /// <summary>y += scale·(x·Aᵀ)·Bᵀ; u [n, r] is saved for the backward pass, tmp [n, out] is scratch.</summary>
    internal void Forward(float* y, float* x, float* u, float* tmp, int n, float scale)
    {
        Linear.Forward(u, x, Ptr(A), n, In, Rank);
        Linear.Forward(tmp, u, Ptr(B), n, Rank, Out);
        Elementwise.ScaleBackward(tmp, scale, y, n * Out);
    }

    /// <summary>GradB += scale·dyᵀ·u, GradA += duᵀ·x with du = scale·dy·B, and dx += du·A (dx may be null).</summary>
    internal void Backward(float* dx, float* dy, float* x, float* u, float* du, int n, float scale)
    {
        Gemm.Sgemm(true, false, Out, Rank, n, scale, dy, Out, u, Rank, 1f, Ptr(GradB), Rank);
        Gemm.Sgemm(false, false, n, Rank, Out, scale, dy, Out, Ptr(B), Rank, 0f, du, Rank);
        Gemm.Sgemm(true, false, Rank, In, n, 1f, du, Rank, x, In, 1f, Ptr(GradA), In);
        if (dx != null) Gemm.Sgemm(false, false, n, In, Rank, 1f, du, Rank, Ptr(A), In, 1f, dx, In);
    }
}

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
