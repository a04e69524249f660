namespace SpeechTok.Tensors.Optim;

/// <summary>
/// A trainable float32 buffer and its gradient. Either a whole tensor, or rows [start, start+count) of
/// a larger matrix (e.g. the new vocabulary rows of <c>embed_tokens.weight</c>): then the gradient, and
/// any optimizer state, have only <c>count</c> rows, and the other rows are never touched.
/// Backward passes ADD into <see cref="Grad"/> (torch semantics), so micro-batches accumulate until
/// <see cref="ZeroGrad"/>.
/// </summary>
public sealed class Parameter
{
    public string Name { get; }

    /// <summary>The tensor that holds the values: the parameter itself, or the whole matrix for a row subset.</summary>
    public Tensor Value { get; }

    /// <summary>Gradient, shaped like the trained values: the tensor's shape, or [RowCount, columns].</summary>
    public Tensor Grad { get; }

    /// <summary>First trained row (0 for a whole tensor).</summary>
    public int RowStart { get; }

    /// <summary>Number of trained rows, or -1 for a whole tensor.</summary>
    public int RowCount { get; }

    /// <summary>Whether AdamW's decoupled weight decay applies (HF excludes biases and norm weights).</summary>
    public bool Decay { get; }

    public bool IsRowSubset => RowCount >= 0;

    /// <summary>Number of trained elements (the gradient's length).</summary>
    public int Length => (int)Grad.Length;

    private Parameter(string name, Tensor value, int rowStart, int rowCount, int[] gradShape, bool decay)
    {
        if (value.DType != DType.F32 || value.IsReadOnly)
            throw new SpeechTokException($"parameter '{name}': trainable values must be a writable F32 tensor, not {(value.IsReadOnly ? "read-only " : "")}{value.DType}");
        Name = name;
        Value = value;
        RowStart = rowStart;
        RowCount = rowCount;
        Decay = decay;
        Grad = Tensor.Zeros(gradShape);
    }

    /// <summary>Trains every element of <paramref name="value"/>.</summary>
    public static Parameter Full(string name, Tensor value, bool decay = true) => new(name, value, 0, -1, value.Shape, decay);

    /// <summary>Trains rows [start, start+count) of the 2-D <paramref name="matrix"/>; the gradient is [count, columns].</summary>
    public static Parameter Rows(string name, Tensor matrix, int start, int count, bool decay = true)
    {
        if (matrix.Rank != 2) throw new SpeechTokException($"parameter '{name}': a row subset needs a 2-D matrix, got shape {ShapeMismatchException.Format(matrix.Shape)}");
        if (start < 0 || count < 0 || (long)start + count > matrix.Shape[0])
            throw new SpeechTokException($"parameter '{name}': rows [{start}, {(long)start + count}) are outside a matrix of {matrix.Shape[0]} rows");
        return new(name, matrix, start, count, [count, matrix.Shape[1]], decay);
    }

    /// <summary>The trained values (the row block for a row subset), aligned with <see cref="Grad"/>.</summary>
    public Span<float> Data => IsRowSubset ? Value.Span.Slice(RowStart * Value.Shape[1], Length) : Value.Span;

    public void ZeroGrad() => Grad.Span.Clear();
}
