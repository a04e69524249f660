namespace SpeechTok.Tensors;

/// <summary>
/// The float vector of one SIMD width (<see cref="Lanes512"/>, <see cref="Lanes256"/>), so that a kernel is written once and
/// the JIT specialises it per width (struct type arguments: the calls inline to the intrinsics).
/// </summary>
/// <typeparam name="TV">Vector512&lt;float&gt; or Vector256&lt;float&gt;.</typeparam>
internal unsafe interface ISimdLanes<TV> where TV : struct
{
    /// <summary>Floats a vector holds.</summary>
    static abstract int Count { get; }
    static abstract TV Zero { get; }
    static abstract TV Load(float* p);
    static abstract void Store(TV v, float* p);
    static abstract TV Broadcast(float x);
    /// <summary>a·b + c, fused.</summary>
    static abstract TV Fma(TV a, TV b, TV c);
    static abstract float Sum(TV v);
    /// <summary><see cref="Count"/> elements of B's storage type from p[i], upcast.</summary>
    static abstract TV LoadB<TB>(void* p, nint i) where TB : struct, IGemmElement;
}
