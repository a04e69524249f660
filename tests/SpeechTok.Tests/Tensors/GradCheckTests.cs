using Xunit.Sdk;
using static SpeechTok.Tests.Tensors.GradCheck;

namespace SpeechTok.Tests.Tensors;

/// <summary>The finite-difference check itself must fail on wrong gradients, small entries included.</summary>
public sealed class GradCheckTests
{
    // loss = Σ c_i·x_i³/3, gradient c_i·x_i²; one coefficient is 1000× smaller than the rest.
    static readonly double[] C = [1, 0.8, 0.001, 1.2, 0.9];
    static readonly float[] X = [0.9f, -0.7f, 0.8f, 0.6f, -1.1f];

    static double Loss(float[] x)
    {
        double s = 0;
        for (int i = 0; i < x.Length; i++) s += C[i] * x[i] * x[i] * x[i] / 3;
        return s;
    }

    static float[] Gradient(float[] x) => x.Select((v, i) => (float)(C[i] * v * v)).ToArray();

    [Fact]
    public void Accepts_the_true_gradient()
    {
        var x = (float[])X.Clone();
        Check("cubic", x, Gradient(x), () => Loss(x));
        Assert.Equal(X, x);
    }

    [Fact]
    public void Refuses_an_error_confined_to_a_small_entry()
    {
        // The error, 1e-3, is within tol·max|grad| (2e-3 × 1.089): only the per-element check sees it.
        var x = (float[])X.Clone();
        var wrong = Gradient(x);
        wrong[2] += 1e-3f;
        var e = Assert.Throws<FailException>(() => Check("cubic", x, wrong, () => Loss(x)));
        Assert.Contains("cubic[2]", e.Message);
    }

    [Fact]
    public void Refuses_a_gradient_that_is_wrong_everywhere_by_a_few_percent()
    {
        var x = (float[])X.Clone();
        var wrong = Gradient(x).Select(g => g * 1.03f).ToArray();
        Assert.Throws<FailException>(() => Check("cubic", x, wrong, () => Loss(x), tol: 0.05));
    }

    [Fact]
    public void Richardson_extrapolation_removes_the_step_error_of_a_plain_central_difference()
    {
        // A plain central difference of x³/3 at step 1e-2 errs by h²/3 ≈ 3.3e-5 relative to 1: above rtol 1e-5.
        var x = new float[] { 1f };
        Check("cube", x, [1f], () => (double)x[0] * x[0] * x[0] / 3, tol: 1e-5, atol: 1e-9, rtol: 1e-5);
    }
}
