using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace SpeechTok.Tensors;

/// <summary>
/// A dense row-major tensor. Storage is float32 (owned, pinned) or, for loaded weights, BF16/F16/F32
/// memory that may be a read-only memory-mapped file. Kernels take raw spans/pointers (llm.c style);
/// this type only carries shape, dtype and ownership.
/// </summary>
public sealed unsafe class Tensor : IDisposable
{
    private readonly float[]? _array; // owned float32 storage, pinned so Pointer stays valid
    private readonly byte* _ptr;
    private readonly IDisposable? _owner;

    public int[] Shape { get; }
    public DType DType { get; }
    public long Length { get; }
    public bool IsReadOnly { get; }

    private Tensor(int[] shape, float[] array)
    {
        Shape = shape;
        DType = DType.F32;
        Length = array.LongLength;
        _array = array;
        _ptr = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));
    }

    private Tensor(int[] shape, DType dtype, byte* ptr, IDisposable? owner, bool readOnly, float[]? array = null)
    {
        Shape = shape;
        DType = dtype;
        Length = Count(shape);
        _ptr = ptr;
        _owner = owner;
        _array = array;
        IsReadOnly = readOnly;
    }

    public static long Count(ReadOnlySpan<int> shape)
    {
        long n = 1;
        foreach (var d in shape)
        {
            if (d < 0) throw new ArgumentException($"negative dimension in shape {ShapeMismatchException.Format(shape)}");
            n *= d;
        }
        return n;
    }

    public static Tensor Zeros(params int[] shape)
    {
        long n = Count(shape);
        if (n > Array.MaxLength) throw new ArgumentException($"tensor of shape {ShapeMismatchException.Format(shape)} is too large for one float32 buffer");
        return new Tensor((int[])shape.Clone(), GC.AllocateArray<float>((int)n, pinned: true));
    }

    /// <summary>Copies <paramref name="data"/> into a new tensor of the given shape.</summary>
    public static Tensor FromData(ReadOnlySpan<float> data, params int[] shape)
    {
        if (Count(shape) != data.Length)
            throw new ShapeMismatchException($"{data.Length} values cannot fill shape {ShapeMismatchException.Format(shape)}");
        var t = Zeros(shape);
        data.CopyTo(t.Span);
        return t;
    }

    /// <summary>Wraps external memory (e.g. a memory-mapped safetensors file) without copying.</summary>
    public static Tensor View(DType dtype, byte* ptr, int[] shape, IDisposable? owner, bool readOnly) =>
        new(shape, dtype, ptr, owner, readOnly);

    /// <summary>The first <paramref name="rows"/> entries along dimension 0: same storage, no copy (a view that
    /// lives as long as this tensor's storage).</summary>
    public Tensor FirstRows(int rows)
    {
        if (Rank == 0 || rows < 0 || rows > Shape[0]) throw new ArgumentOutOfRangeException(nameof(rows), $"{rows} rows of a tensor of shape {ShapeMismatchException.Format(Shape)}");
        var shape = (int[])Shape.Clone();
        shape[0] = rows;
        return new Tensor(shape, DType, _ptr, null, IsReadOnly, _array);
    }

    public int Rank => Shape.Length;
    public int Dim(int i) => Shape[i < 0 ? Shape.Length + i : i];

    /// <summary>Float32 view of the elements. Throws for BF16/F16 storage (use <see cref="ToF32"/> or the row upcasts).</summary>
    public Span<float> Span
    {
        get
        {
            if (DType != DType.F32) throw new InvalidOperationException($"tensor is {DType}; upcast it before taking a float32 span");
            if (IsReadOnly) throw new InvalidOperationException("tensor is read-only (memory-mapped weights); use ReadOnlySpan");
            return new Span<float>(_ptr, checked((int)Length));
        }
    }

    public ReadOnlySpan<float> ReadOnlySpan
    {
        get
        {
            if (DType != DType.F32) throw new InvalidOperationException($"tensor is {DType}; upcast it before taking a float32 span");
            return new ReadOnlySpan<float>(_ptr, checked((int)Length));
        }
    }

    /// <summary>Raw 16-bit storage of a BF16/F16 tensor.</summary>
    public ReadOnlySpan<ushort> Bits16
    {
        get
        {
            if (DType == DType.F32) throw new InvalidOperationException("tensor is F32, not 16-bit");
            return new ReadOnlySpan<ushort>(_ptr, checked((int)Length));
        }
    }

    /// <summary>Base pointer of the storage (element type per <see cref="DType"/>).</summary>
    public byte* Pointer => _ptr;

    public float this[params int[] index]
    {
        get => Get(Offset(index));
        set => Span[checked((int)Offset(index))] = value;
    }

    private long Offset(int[] index)
    {
        if (index.Length != Shape.Length) throw new ArgumentException($"index of rank {index.Length} for shape {ShapeMismatchException.Format(Shape)}");
        long off = 0;
        for (int i = 0; i < index.Length; i++)
        {
            if ((uint)index[i] >= (uint)Shape[i]) throw new ArgumentOutOfRangeException(nameof(index), $"index {index[i]} out of range for dimension {i} of shape {ShapeMismatchException.Format(Shape)}");
            off = off * Shape[i] + index[i];
        }
        return off;
    }

    private float Get(long i) => DType switch
    {
        DType.F32 => ((float*)_ptr)[i],
        DType.BF16 => Half16.Bf16ToF32(((ushort*)_ptr)[i]),
        _ => Half16.F16ToF32(((ushort*)_ptr)[i]),
    };

    /// <summary>Upcasts elements [start, start + dest.Length) into <paramref name="dest"/>.</summary>
    public void CopyTo(long start, Span<float> dest)
    {
        if (start < 0 || start + dest.Length > Length) throw new ArgumentOutOfRangeException(nameof(start));
        switch (DType)
        {
            case DType.F32: new ReadOnlySpan<float>((float*)_ptr + start, dest.Length).CopyTo(dest); break;
            case DType.BF16: Half16.Bf16ToF32(new ReadOnlySpan<ushort>((ushort*)_ptr + start, dest.Length), dest); break;
            default: Half16.F16ToF32(new ReadOnlySpan<ushort>((ushort*)_ptr + start, dest.Length), dest); break;
        }
    }

    /// <summary>An owned, writable float32 copy (always a copy, even for F32).</summary>
    public Tensor ToF32()
    {
        var t = Zeros(Shape);
        CopyTo(0, t.Span);
        return t;
    }

    public float[] ToArray()
    {
        var a = new float[Length];
        CopyTo(0, a);
        return a;
    }

    /// <summary>Throws <see cref="ShapeMismatchException"/> naming both shapes unless the shape equals <paramref name="expected"/>.</summary>
    public void ExpectShape(string what, params int[] expected)
    {
        if (!Shape.AsSpan().SequenceEqual(expected)) throw ShapeMismatchException.Of(what, Shape, expected);
    }

    public override string ToString() => $"Tensor({DType}, {ShapeMismatchException.Format(Shape)})";

    public void Dispose() => _owner?.Dispose();
}
