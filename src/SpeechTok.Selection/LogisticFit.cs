namespace SpeechTok.Selection;

/// <summary>A fitted logistic regression: one coefficient row for K = 2 (class 1 vs 0), else one row per class.</summary>
public sealed class LogisticFit
{
    public required int NumClasses { get; init; }
    public required double C { get; init; }
    public required Penalty Penalty { get; init; }
    /// <summary>Coefficients [row][feature]: 1 row for binary, K rows for multinomial.</summary>
    public required double[][] Coef { get; init; }
    public required double[] Intercept { get; init; }
    /// <summary>C·Σᵢ sᵢ·lossᵢ + penalty (sklearn's objective in C form).</summary>
    public required double Objective { get; init; }
    /// <summary>Largest violation of the optimality conditions over all coefficients and intercepts.</summary>
    public required double Kkt { get; init; }
    public required int OuterIterations { get; init; }
    public required bool Converged { get; init; }

    /// <summary>Σ over rows of |coef| per feature (SelectFromModel's importance).</summary>
    public double[] Importance()
    {
        var imp = new double[Coef[0].Length];
        foreach (var row in Coef) for (int j = 0; j < imp.Length; j++) imp[j] += Math.Abs(row[j]);
        return imp;
    }

    public int NonZeroCount => Coef.Sum(r => r.Count(v => v != 0));

    /// <summary>Predicted class per row (ties → the lowest class, as numpy's argmax).</summary>
    public int[] Predict(CsrMatrix x)
    {
        int m = Coef.Length;
        if (x.Cols != Coef[0].Length) throw new ArgumentException($"model has {Coef[0].Length} features, matrix {x.Cols}");
        var pred = new int[x.Rows];
        var z = new double[m];
        for (int i = 0; i < x.Rows; i++)
        {
            for (int k = 0; k < m; k++)
            {
                double s = Intercept[k];
                for (int p = x.IndPtr[i]; p < x.IndPtr[i + 1]; p++) s += x.Values[p] * Coef[k][x.Indices[p]];
                z[k] = s;
            }
            if (m == 1) { pred[i] = z[0] > 0 ? 1 : 0; continue; }
            int best = 0;
            for (int k = 1; k < m; k++) if (z[k] > z[best]) best = k;
            pred[i] = best;
        }
        return pred;
    }
}
