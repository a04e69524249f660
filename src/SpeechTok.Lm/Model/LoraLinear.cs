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
