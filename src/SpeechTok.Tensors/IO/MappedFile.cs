using System.IO.MemoryMappedFiles;

namespace SpeechTok.Tensors.IO;

/// <summary>
/// A file mapped read-only into memory. Reference counted: the <see cref="SafeTensors"/> that opened it
/// holds one reference and every tensor view handed out holds another, so a view stays valid after the
/// SafeTensors is disposed and the mapping goes away only when the last holder lets go.
/// </summary>
internal sealed unsafe class MappedFile
{
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private int _refs = 1;

    public string Path { get; }
    public long Length { get; }
    public byte* Pointer { get; }

    public MappedFile(string path, FileStream stream)
    {
        Path = path;
        Length = stream.Length;
        _map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
        _view = _map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        byte* p = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        Pointer = p + _view.PointerOffset;
    }

    /// <summary>A new reference; disposing it (once, idempotently) releases it.</summary>
    public IDisposable Lease()
    {
        if (Interlocked.Increment(ref _refs) <= 1) throw new ObjectDisposedException(Path);
        return new LeaseHandle(this);
    }

    public void Release()
    {
        if (Interlocked.Decrement(ref _refs) != 0) return;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
    }

    private sealed class LeaseHandle(MappedFile file) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) file.Release();
        }
    }
}
