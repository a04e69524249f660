using System.Runtime.Intrinsics;

namespace SpeechTok.Tensors;

/// <summary>
/// Storage type of the B operand. The GEMM code is generic over it so that BF16 weights are upcast while
/// packing (or while streaming, on the skinny path) instead of being materialised as float32.
/// Struct type arguments make the JIT specialise every caller, so these calls cost nothing.
/// </summary>
internal unsafe interface IGemmElement
{
    static abstract float Get(void* p, nint i);

    /// <summary>Upcasts p[i..i+count) into dst.</summary>
    static abstract void Copy(void* p, nint i, float* dst, int count);

    static abstract Vector512<float> Load512(void* p, nint i);

    static abstract Vector256<float> Load256(void* p, nint i);
}
