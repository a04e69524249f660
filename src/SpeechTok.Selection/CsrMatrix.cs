namespace SpeechTok.Selection;

/// <summary>
/// Compressed sparse row matrix of doubles (scipy CSR layout: <see cref="IndPtr"/> of length rows+1,
/// column indices ascending within each row).
/// </summary>
public sealed class CsrMatrix
{
    public int Rows { get; }
    public int Cols { get; }
    public int[] IndPtr { get; }
    public int[] Indices { get; }
    public double[] Values { get; }
    public int Nnz => IndPtr[Rows];

    public CsrMatrix(int rows, int cols, int[] indPtr, int[] indices, double[] values)
    {
        if (indPtr.Length != rows + 1) throw new ArgumentException($"indptr has {indPtr.Length} entries, expected {rows + 1}");
        if (indices.Length < indPtr[rows] || values.Length < indPtr[rows]) throw new ArgumentException("indices/values shorter than nnz");
        Rows = rows; Cols = cols; IndPtr = indPtr; Indices = indices; Values = values;
    }

    /// <summary>Builds a CSR matrix from rows given as (column → value) maps; zero values are dropped.</summary>
    public static CsrMatrix FromRows(int cols, IReadOnlyList<IEnumerable<KeyValuePair<int, double>>> rows)
    {
        var indPtr = new int[rows.Count + 1];
        var idx = new List<int>();
        var val = new List<double>();
        for (int r = 0; r < rows.Count; r++)
        {
            foreach (var (c, v) in rows[r].Where(kv => kv.Value != 0).OrderBy(kv => kv.Key))
            {
                if ((uint)c >= (uint)cols) throw new ArgumentOutOfRangeException(nameof(rows), $"row {r}: column {c} outside 0..{cols - 1}");
                idx.Add(c); val.Add(v);
            }
            indPtr[r + 1] = idx.Count;
        }
        return new CsrMatrix(rows.Count, cols, indPtr, idx.ToArray(), val.ToArray());
    }

    /// <summary>The columns with at least one stored non-zero, ascending.</summary>
    public int[] NonZeroColumns()
    {
        var seen = new bool[Cols];
        for (int i = 0; i < Nnz; i++) seen[Indices[i]] = true;
        return Enumerable.Range(0, Cols).Where(c => seen[c]).ToArray();
    }

    /// <summary>The rows listed in <paramref name="rows"/>, in that order.</summary>
    public CsrMatrix SelectRows(IReadOnlyList<int> rows)
    {
        var indPtr = new int[rows.Count + 1];
        long nnz = 0;
        for (int i = 0; i < rows.Count; i++)
        {
            int r = rows[i];
            if ((uint)r >= (uint)Rows) throw new ArgumentOutOfRangeException(nameof(rows), $"row {r} outside 0..{Rows - 1}");
            nnz += IndPtr[r + 1] - IndPtr[r];
            indPtr[i + 1] = checked((int)nnz);
        }
        var idx = new int[nnz];
        var val = new double[nnz];
        for (int i = 0; i < rows.Count; i++)
        {
            int r = rows[i], len = IndPtr[r + 1] - IndPtr[r];
            Array.Copy(Indices, IndPtr[r], idx, indPtr[i], len);
            Array.Copy(Values, IndPtr[r], val, indPtr[i], len);
        }
        return new CsrMatrix(rows.Count, Cols, indPtr, idx, val);
    }

    /// <summary>[A | B]: columns of <paramref name="right"/> follow this matrix's columns.</summary>
    public CsrMatrix HStack(CsrMatrix right)
    {
        if (right.Rows != Rows) throw new ArgumentException($"hstack: {Rows} rows vs {right.Rows}");
        var indPtr = new int[Rows + 1];
        var idx = new int[checked(Nnz + right.Nnz)];
        var val = new double[idx.Length];
        int k = 0;
        for (int r = 0; r < Rows; r++)
        {
            for (int p = IndPtr[r]; p < IndPtr[r + 1]; p++) { idx[k] = Indices[p]; val[k++] = Values[p]; }
            for (int p = right.IndPtr[r]; p < right.IndPtr[r + 1]; p++) { idx[k] = Cols + right.Indices[p]; val[k++] = right.Values[p]; }
            indPtr[r + 1] = k;
        }
        return new CsrMatrix(Rows, Cols + right.Cols, indPtr, idx, val);
    }

    /// <summary>The same matrix in compressed sparse column form (row indices ascending per column).</summary>
    internal CscMatrix ToCsc()
    {
        var colPtr = new int[Cols + 1];
        for (int p = 0; p < Nnz; p++) colPtr[Indices[p] + 1]++;
        for (int c = 0; c < Cols; c++) colPtr[c + 1] += colPtr[c];
        var next = (int[])colPtr.Clone();
        var rowIdx = new int[Nnz];
        var val = new double[Nnz];
        for (int r = 0; r < Rows; r++)
            for (int p = IndPtr[r]; p < IndPtr[r + 1]; p++)
            {
                int q = next[Indices[p]]++;
                rowIdx[q] = r;
                val[q] = Values[p];
            }
        return new CscMatrix(Rows, Cols, colPtr, rowIdx, val);
    }
}
