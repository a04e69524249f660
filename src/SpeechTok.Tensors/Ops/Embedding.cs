namespace SpeechTok.Tensors.Ops;

/// <summary>
/// Token embedding lookup over a (possibly frozen, BF16, memory-mapped) table plus optional appended rows
/// (a vocabulary extension). Ids in [0, V) read <c>table</c>; ids in [V, V + extra rows) read <c>extra</c>.
/// </summary>
public static unsafe class Embedding
{
    /// <summary>output[n, :] = row ids[n] of table ‖ extra. table is [V, dim]; extra (F32) is [E, dim] or null.</summary>
    public static void Forward(float* output, ReadOnlySpan<int> ids, Tensor table, Tensor? extra = null)
    {
        if (table.Rank != 2) throw new ShapeMismatchException($"embedding table must be 2-D, got {ShapeMismatchException.Format(table.Shape)}");
        int v = table.Shape[0], dim = table.Shape[1];
        int e = 0;
        if (extra != null)
        {
            if (extra.Rank != 2 || extra.Shape[1] != dim) throw ShapeMismatchException.Of("embedding extra rows vs table", extra.Shape, table.Shape);
            e = extra.Shape[0];
        }
        for (int n = 0; n < ids.Length; n++)
        {
            int id = ids[n];
            var dst = new Span<float>(output + (long)n * dim, dim);
            if ((uint)id < (uint)v) table.CopyTo((long)id * dim, dst);
            else if (id >= v && id - v < e) extra!.CopyTo((long)(id - v) * dim, dst);
            else throw new SpeechTokException($"token id {id} at position {n} is outside the vocabulary of {v + e} rows");
        }
    }

    /// <summary>
    /// Scatter-add of the output gradient into the trainable rows only: for each n with
    /// ids[n] in [firstTrainableRow, firstTrainableRow + nTrainable), dRows[ids[n] - firstTrainableRow] += dOut[n].
    /// dRows is [nTrainable, dim], never a full-vocabulary gradient. Rows below firstTrainableRow are frozen.
    /// </summary>
    public static void BackwardRows(float* dRows, int firstTrainableRow, int nTrainable, ReadOnlySpan<int> ids, float* dOut, int dim)
    {
        for (int n = 0; n < ids.Length; n++)
        {
            int r = ids[n] - firstTrainableRow;
            if ((uint)r >= (uint)nTrainable) continue;
            Elementwise.AddInPlace(dRows + (long)r * dim, dOut + (long)n * dim, dim);
        }
    }
}
