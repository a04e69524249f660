namespace SpeechTok.Selection;

/// <summary>
/// scikit-learn's <c>TfidfTransformer()</c> defaults: idf_j = ln((1+n)/(1+df_j)) + 1 (smooth), x_ij·idf_j,
/// then every row scaled to unit L2 norm (all-zero rows stay zero).
/// </summary>
public sealed class TfidfTransformer
{
    public double[] Idf { get; }

    private TfidfTransformer(double[] idf) => Idf = idf;

    public static TfidfTransformer Fit(CsrMatrix x)
    {
        var df = new int[x.Cols];
        for (int p = 0; p < x.Nnz; p++) if (x.Values[p] != 0) df[x.Indices[p]]++;
        var idf = new double[x.Cols];
        for (int j = 0; j < x.Cols; j++) idf[j] = Math.Log((1.0 + x.Rows) / (1.0 + df[j])) + 1.0;
        return new TfidfTransformer(idf);
    }

    public CsrMatrix Transform(CsrMatrix x)
    {
        if (x.Cols != Idf.Length) throw new ArgumentException($"tf-idf fit on {Idf.Length} columns, got {x.Cols}");
        var val = new double[x.Nnz];
        for (int r = 0; r < x.Rows; r++)
        {
            double ss = 0;
            for (int p = x.IndPtr[r]; p < x.IndPtr[r + 1]; p++)
            {
                val[p] = x.Values[p] * Idf[x.Indices[p]];
                ss += val[p] * val[p];
            }
            if (ss == 0) continue;
            double inv = 1.0 / Math.Sqrt(ss);
            for (int p = x.IndPtr[r]; p < x.IndPtr[r + 1]; p++) val[p] *= inv;
        }
        return new CsrMatrix(x.Rows, x.Cols, x.IndPtr, x.Indices, val);
    }
}
