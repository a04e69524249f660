using SpeechTok.Selection;

namespace SpeechTok.Tests.Selection;

public sealed class LogisticRegressionTests
{
    /// <summary>A small sparse problem with signal in the first columns; <paramref name="k"/> classes.</summary>
    internal static (CsrMatrix X, int[] Y) Problem(int n, int p, int k, int seed)
    {
        var rng = new Random(seed);
        var y = new int[n];
        var rows = new List<IEnumerable<KeyValuePair<int, double>>>();
        for (int i = 0; i < n; i++)
        {
            y[i] = i < k ? i : rng.Next(k);
            var row = new Dictionary<int, double>();
            for (int j = 0; j < p; j++)
                if (rng.NextDouble() < 0.3) row[j] = rng.NextDouble() * 2 - 0.5 + (j % k == y[i] && j < 2 * k ? 1.0 : 0);
            rows.Add(row);
        }
        return (CsrMatrix.FromRows(p, rows), y);
    }

    /// <summary>Independent objective: C·Σ s_i ℓ_i + penalty, straight from the definition.</summary>
    private static double Objective(CsrMatrix x, int[] y, int k, double c, Penalty pen, double[][] w, double[] b)
    {
        var cw = LogisticRegression.BalancedClassWeights(y, k);
        double data = 0;
        for (int i = 0; i < x.Rows; i++)
        {
            var z = new double[w.Length];
            for (int r = 0; r < w.Length; r++)
            {
                z[r] = b[r];
                for (int q = x.IndPtr[i]; q < x.IndPtr[i + 1]; q++) z[r] += x.Values[q] * w[r][x.Indices[q]];
            }
            double loss = w.Length == 1
                ? Math.Log(1 + Math.Exp(y[i] == 1 ? -z[0] : z[0]))
                : Math.Log(z.Sum(Math.Exp)) - z[y[i]];
            data += cw[y[i]] * loss;
        }
        double penalty = w.Sum(r => r.Sum(v => pen == Penalty.L1 ? Math.Abs(v) : 0.5 * v * v));
        return c * data + penalty;
    }

    [Theory]
    [InlineData(2, Penalty.L1)]
    [InlineData(3, Penalty.L1)]
    [InlineData(2, Penalty.L2)]
    [InlineData(4, Penalty.L2)]
    public void OptimalityHoldsUnderFiniteDifferences(int k, Penalty pen)
    {
        var (x, y) = Problem(120, 12, k, seed: 7 + k);
        const double c = 0.5;
        var fit = LogisticRegression.Fit(x, y, k, c, pen, new LogisticOptions { Tolerance = 1e-8 });
        Assert.True(fit.Converged, $"KKT {fit.Kkt}");
        double f0 = Objective(x, y, k, c, pen, fit.Coef, fit.Intercept);
        Assert.Equal(f0, fit.Objective, 1e-9 * f0);
        Assert.Contains(fit.Coef.SelectMany(r => r), v => v != 0);
        const double h = 1e-5;
        for (int r = 0; r < fit.Coef.Length; r++)
        {
            for (int j = 0; j < x.Cols; j++)
            {
                double Shift(double d)
                {
                    var w = fit.Coef.Select(row => (double[])row.Clone()).ToArray();
                    w[r][j] += d;
                    return Objective(x, y, k, c, pen, w, fit.Intercept);
                }
                double up = (Shift(h) - f0) / h, down = (Shift(-h) - f0) / h;
                // At a minimum both one-sided directional derivatives are ≥ 0 (≈ 0 where the objective is smooth).
                Assert.True(up > -1e-4 && down > -1e-4, $"row {r} col {j}: directional derivatives {up}, {down} (w={fit.Coef[r][j]})");
                if (pen == Penalty.L2 || fit.Coef[r][j] != 0) Assert.True(Math.Abs(up + down) < 1e-3, $"row {r} col {j}: not stationary ({up}, {down})");
            }
            double Intercept(double d)
            {
                var bb = (double[])fit.Intercept.Clone();
                bb[r] += d;
                return Objective(x, y, k, c, pen, fit.Coef, bb);
            }
            Assert.True(Math.Abs((Intercept(h) - Intercept(-h)) / (2 * h)) < 1e-4, $"intercept {r} not stationary");
        }
    }

    [Fact]
    public void IdenticalColumnsShareTheirL1WeightEqually()
    {
        var (x, y) = Problem(150, 6, 2, seed: 3);
        // Append two copies of column 0: any split of its weight is optimal; we return the equal one.
        var dup = CsrMatrix.FromRows(2, Enumerable.Range(0, x.Rows).Select(i =>
        {
            var d = new Dictionary<int, double>();
            for (int q = x.IndPtr[i]; q < x.IndPtr[i + 1]; q++) if (x.Indices[q] == 0) { d[0] = x.Values[q]; d[1] = x.Values[q]; }
            return (IEnumerable<KeyValuePair<int, double>>)d;
        }).ToList());
        var wide = x.HStack(dup);
        var narrow = LogisticRegression.Fit(x, y, 2, 1.0, Penalty.L1, new LogisticOptions { Tolerance = 1e-10 });
        var fit = LogisticRegression.Fit(wide, y, 2, 1.0, Penalty.L1, new LogisticOptions { Tolerance = 1e-10 });
        Assert.NotEqual(0, narrow.Coef[0][0]);
        Assert.Equal(narrow.Objective, fit.Objective, 1e-8);
        Assert.Equal(fit.Coef[0][0], fit.Coef[0][6], 12);
        Assert.Equal(fit.Coef[0][0], fit.Coef[0][7], 12);
        Assert.Equal(narrow.Coef[0][0] / 3, fit.Coef[0][0], 6);
    }

    [Fact]
    public void PathAndSingleFitsAgreeAndTinyCIsAllZero()
    {
        var (x, y) = Problem(100, 10, 3, seed: 11);
        double[] cs = [1.0, 1e-6, 0.1];
        var path = LogisticRegression.FitPath(x, y, 3, cs, Penalty.L1);
        for (int i = 0; i < cs.Length; i++)
        {
            var single = LogisticRegression.Fit(x, y, 3, cs[i], Penalty.L1);
            Assert.Equal(single.Objective, path[i].Objective, 1e-7 * single.Objective);
            Assert.Equal(cs[i], path[i].C);
        }
        Assert.All(path[1].Coef.SelectMany(r => r), v => Assert.Equal(0, v));
    }

    /// <summary>
    /// Rows without class signal (every row once in classes 0 and 2, twice in class 1; balanced weights make the
    /// data gradient at w = 0 zero up to rounding): sklearn 1.2.1 (lbfgs) returns coef_ and intercept_ exactly 0
    /// at every C and predicts class 0. A Newton step on the rounding noise made the logits noise (~1e-17) that
    /// picked the class, so val F1 moved with C and a noise C was chosen. Under L1 the coefficients are exactly 0 at
    /// any C here; the intercepts of the intercept-only start were the noise.
    /// </summary>
    [Theory]
    [InlineData(2, Penalty.L2)]
    [InlineData(3, Penalty.L2)]
    [InlineData(2, Penalty.L1)]
    [InlineData(3, Penalty.L1)]
    public void FitOfDataWithoutSignalStaysAtZeroAsLbfgs(int k, Penalty penalty)
    {
        var rng = new Random(7);
        var rows = new List<IEnumerable<KeyValuePair<int, double>>>();
        var y = new List<int>();
        for (int s = 0; s < 25; s++)
        {
            var row = new Dictionary<int, double>();
            for (int t = rng.Next(1, 10); t > 0; t--) { int j = rng.Next(17); row[j] = row.GetValueOrDefault(j) + 1; }
            for (int c = 0; c < k; c++)
                for (int rep = c == 1 ? 2 : 1; rep > 0; rep--) { rows.Add(row); y.Add(c); }
        }
        var x = CsrMatrix.FromRows(17, rows);
        foreach (var fit in LogisticRegression.FitPath(x, [.. y], k, Baselines.DefaultGrid, penalty))
        {
            Assert.True(fit.Converged);
            Assert.All(fit.Coef, r => Assert.All(r, v => Assert.Equal(0.0, v)));
            Assert.All(fit.Intercept, v => Assert.Equal(0.0, v));
            Assert.All(fit.Predict(x), p => Assert.Equal(0, p));
        }
    }

    [Fact]
    public void AbsentClassAndBadLabelsAreErrors()
    {
        var (x, y) = Problem(30, 4, 2, seed: 1);
        var e = Assert.Throws<SpeechTokException>(() => LogisticRegression.Fit(x, y, 3, 1, Penalty.L1));
        Assert.Contains("class 2", e.Message);
        y[5] = 7;
        e = Assert.Throws<SpeechTokException>(() => LogisticRegression.Fit(x, y, 2, 1, Penalty.L1));
        Assert.Contains("label 7", e.Message);
    }
}
