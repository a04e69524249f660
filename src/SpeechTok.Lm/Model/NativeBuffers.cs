using System.Runtime.InteropServices;

namespace SpeechTok.Lm.Model;

/// <summary>Zeroed, 64-byte aligned native allocations freed together (activation buffers live for many steps).</summary>
internal sealed unsafe class NativeBuffers : IDisposable
{
    private readonly List<nint> _blocks = [];

    public float* Floats(long n) => (float*)Alloc(n * sizeof(float));
    public byte* Bytes8(long n) => (byte*)Alloc(n);

    private void* Alloc(long bytes)
    {
        var p = NativeMemory.AlignedAlloc((nuint)Math.Max(bytes, 64), 64);
        NativeMemory.Clear(p, (nuint)Math.Max(bytes, 64));
        _blocks.Add((nint)p);
        return p;
    }

    public void Dispose()
    {
        foreach (var p in _blocks) NativeMemory.AlignedFree((void*)p);
        _blocks.Clear();
    }
}
