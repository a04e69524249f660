namespace SpeechTok.Selection;

/// <summary>
/// scikit-learn's <c>StandardScaler(with_mean=False)</c> on sparse input: divide each column by its
/// population standard deviation (zeros included); a zero-variance column keeps scale 1.
/// </summary>
public sealed class StandardScalerNoMean
{
    private const double Eps = 2.220446049250313e-16;
    public double[] Variance { get; }
    public double[] Scale { get; }

    private StandardScalerNoMean(double[] var, double[] scale) { Variance = var; Scale = scale; }

    public static StandardScalerNoMean Fit(CsrMatrix x)
    {
        var sum = new double[x.Cols];
        for (int p = 0; p < x.Nnz; p++) sum[x.Indices[p]] += x.Values[p];
        var mean = new double[x.Cols];
        for (int j = 0; j < x.Cols; j++) mean[j] = sum[j] / x.Rows;
        // Two-pass variance: Σ(x−μ)² over the stored entries plus μ² for each implicit zero.
        var ss = new double[x.Cols];
        var nz = new int[x.Cols];
        for (int p = 0; p < x.Nnz; p++)
        {
            int j = x.Indices[p];
            double d = x.Values[p] - mean[j];
            ss[j] += d * d;
            nz[j]++;
        }
        var var = new double[x.Cols];
        var scale = new double[x.Cols];
        for (int j = 0; j < x.Cols; j++)
        {
            var[j] = (ss[j] + (x.Rows - nz[j]) * mean[j] * mean[j]) / x.Rows;
            // sklearn's _is_constant_feature: var ≤ n·eps·var + (n·mean·eps)² counts as constant → scale 1
            double bound = x.Rows * Eps * var[j] + Math.Pow(x.Rows * mean[j] * Eps, 2);
            scale[j] = var[j] <= bound ? 1.0 : Math.Sqrt(var[j]);
        }
        return new StandardScalerNoMean(var, scale);
    }

    public CsrMatrix Transform(CsrMatrix x)
    {
        if (x.Cols != Scale.Length) throw new ArgumentException($"scaler fit on {Scale.Length} columns, got {x.Cols}");
        var val = new double[x.Nnz];
        for (int p = 0; p < x.Nnz; p++) val[p] = x.Values[p] / Scale[x.Indices[p]];
        return new CsrMatrix(x.Rows, x.Cols, x.IndPtr, x.Indices, val);
    }
}
