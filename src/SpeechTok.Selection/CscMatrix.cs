namespace SpeechTok.Selection;

/// <summary>Compressed sparse column matrix: the layout coordinate descent walks.</summary>
internal sealed class CscMatrix(int rows, int cols, int[] colPtr, int[] rowIndices, double[] values)
{
    public int Rows { get; } = rows;
    public int Cols { get; } = cols;
    public int[] ColPtr { get; } = colPtr;
    public int[] RowIndices { get; } = rowIndices;
    public double[] Values { get; } = values;

    /// <summary>
    /// Merges exactly identical columns: returns the matrix of distinct columns (first occurrence order)
    /// and, per original column, the index of its distinct column.
    /// </summary>
    public (CscMatrix Distinct, int[] GroupOf) DistinctColumns()
    {
        var groupOf = new int[Cols];
        var firstOfHash = new Dictionary<ulong, List<int>>();
        var reps = new List<int>();
        for (int j = 0; j < Cols; j++)
        {
            ulong h = 1469598103934665603UL;
            for (int p = ColPtr[j]; p < ColPtr[j + 1]; p++)
            {
                h = (h ^ (uint)RowIndices[p]) * 1099511628211UL;
                h = (h ^ (ulong)BitConverter.DoubleToInt64Bits(Values[p])) * 1099511628211UL;
            }
            if (!firstOfHash.TryGetValue(h, out var bucket)) firstOfHash[h] = bucket = [];
            int found = -1;
            foreach (int g in bucket) if (SameColumn(reps[g], j)) { found = g; break; }
            if (found < 0) { found = reps.Count; reps.Add(j); bucket.Add(found); }
            groupOf[j] = found;
        }
        if (reps.Count == Cols) return (this, groupOf);
        var colPtr = new int[reps.Count + 1];
        for (int g = 0; g < reps.Count; g++) colPtr[g + 1] = colPtr[g] + ColPtr[reps[g] + 1] - ColPtr[reps[g]];
        var rows = new int[colPtr[^1]];
        var vals = new double[colPtr[^1]];
        for (int g = 0; g < reps.Count; g++)
        {
            Array.Copy(RowIndices, ColPtr[reps[g]], rows, colPtr[g], colPtr[g + 1] - colPtr[g]);
            Array.Copy(Values, ColPtr[reps[g]], vals, colPtr[g], colPtr[g + 1] - colPtr[g]);
        }
        return (new CscMatrix(Rows, reps.Count, colPtr, rows, vals), groupOf);
    }

    private bool SameColumn(int a, int b)
    {
        int la = ColPtr[a + 1] - ColPtr[a];
        if (la != ColPtr[b + 1] - ColPtr[b]) return false;
        return RowIndices.AsSpan(ColPtr[a], la).SequenceEqual(RowIndices.AsSpan(ColPtr[b], la))
            && Values.AsSpan(ColPtr[a], la).SequenceEqual(Values.AsSpan(ColPtr[b], la));
    }
}
