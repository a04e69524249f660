namespace SpeechTok.Tests.Tensors;

/// <summary>
/// Central finite differences of a float32 computation against an analytic gradient. The scalar being
/// differentiated is a fixed random projection Σ r·y accumulated in float64, so every output element
/// contributes; the step is large enough that float32 round-off stays far below the tolerance.
/// </summary>
internal static class GradCheck
{
    public static float[] Random(int n, int seed, float scale = 1f)
    {
        var rng = new Random(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
        return a;
    }

    /// <summary>Fails at the first element whose bits differ (so −0 ≠ +0).</summary>
    public static void AssertBits(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Assert.Fail($"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R}");
    }

    public static double Dot(float[] r, float[] y)
    {
        double s = 0;
        for (int i = 0; i < r.Length; i++) s += (double)r[i] * y[i];
        return s;
    }

    /// <summary>
    /// Checks <paramref name="analytic"/> against a Richardson-extrapolated central difference,
    /// (4·D(eps/2) − D(eps))/3, whose truncation error is O(eps⁴), over every element of <paramref name="x"/>:
    /// per tensor, max|analytic − numeric| ≤ tol·max|numeric|; per element, |analytic − numeric| ≤ atol + rtol·|numeric|,
    /// so small entries are checked too. The atol default sits a few times above the float32 round-off of O(1) losses.
    /// </summary>
    public static void Check(string name, Span<float> x, float[] analytic, Func<double> loss,
        double eps = 1e-2, double tol = 2e-3, double atol = 1e-4, double rtol = 1e-2)
    {
        Assert.Equal(x.Length, analytic.Length);
        var numeric = new double[x.Length];
        double maxErr = 0, maxRef = 0;
        for (int i = 0; i < x.Length; i++)
        {
            numeric[i] = (4 * Central(x, i, eps / 2, loss) - Central(x, i, eps, loss)) / 3;
            maxErr = Math.Max(maxErr, Math.Abs(numeric[i] - analytic[i]));
            maxRef = Math.Max(maxRef, Math.Abs(numeric[i]));
        }
        Assert.True(maxRef > 1e-6, $"{name}: numeric gradient is identically ~0, the check would be vacuous");
        Assert.True(maxErr <= tol * maxRef, $"{name}: max |analytic - numeric| = {maxErr:g4} exceeds {tol} x {maxRef:g4}");
        for (int i = 0; i < x.Length; i++)
            if (Math.Abs(numeric[i] - analytic[i]) > atol + rtol * Math.Abs(numeric[i]))
                Assert.Fail($"{name}[{i}]: analytic {analytic[i]:g6} vs numeric {numeric[i]:g6} exceeds {atol} + {rtol} x |numeric|");
    }

    /// <summary>Central difference at element i with step h, divided by the step float32 actually took.</summary>
    static double Central(Span<float> x, int i, double h, Func<double> loss)
    {
        float keep = x[i];
        x[i] = (float)(keep + h);
        double up = x[i] - (double)keep;
        double plus = loss();
        x[i] = (float)(keep - h);
        double down = keep - (double)x[i];
        double minus = loss();
        x[i] = keep;
        return (plus - minus) / (up + down);
    }
}
