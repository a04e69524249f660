using SpeechTok.Tensors;
using SpeechTok.Tensors.IO;
using SpeechTok.Tensors.Optim;

namespace SpeechTok.Tests.Tensors;

public sealed class OptimTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("speechtok-optim-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void FirstAdamWStepMatchesHandComputation()
    {
        // Step 1: m̂ = g, v̂ = g², so p ← p(1 − lr·wd) − lr·g/(|g| + eps).
        var p = Parameter.Full("w", Tensor.FromData([1.0f, -2.0f, 0.5f, 3.0f], 4));
        g(p, 0.1f, -0.2f, 0f, 1e-9f);
        var opt = new AdamW([p], lr: 0.01, weightDecay: 0.1);
        opt.Step();
        double[] expected =
        [
            1.0 * 0.999 - 0.01 * 0.1 / (0.1 + 1e-8),
            -2.0 * 0.999 + 0.01 * 0.2 / (0.2 + 1e-8),
            0.5 * 0.999,                                   // zero gradient: decay only
            3.0 * 0.999 - 0.01 * 1e-9 / (1e-9 + 1e-8),     // tiny gradient: eps dominates
        ];
        AssertClose(expected, p.Data, 1e-7);
        Assert.Equal(1, opt.StepCount);
    }

    [Fact]
    public void SecondStepMatchesAFloat64Reference()
    {
        float[] p0 = [0.3f, -0.7f, 1.1f];
        float[][] grads = [[0.5f, -0.01f, 0.2f], [-0.4f, 0.03f, 0.2f], [0.1f, 0.0f, -0.6f]];
        const double lr = 3e-3, b1 = 0.8, b2 = 0.95, eps = 1e-6, wd = 0.05;
        var p = Parameter.Full("w", Tensor.FromData(p0, 3));
        var opt = new AdamW([p], lr, b1, b2, eps, wd);

        double[] x = p0.Select(v => (double)v).ToArray(), m = new double[3], v = new double[3];
        for (int t = 1; t <= grads.Length; t++)
        {
            g(p, grads[t - 1]);
            opt.Step();
            for (int i = 0; i < 3; i++)
            {
                double gi = grads[t - 1][i];
                x[i] -= lr * wd * x[i];
                m[i] = b1 * m[i] + (1 - b1) * gi;
                v[i] = b2 * v[i] + (1 - b2) * gi * gi;
                double mHat = m[i] / (1 - Math.Pow(b1, t)), vHat = v[i] / (1 - Math.Pow(b2, t));
                x[i] -= lr * mHat / (Math.Sqrt(vHat) + eps);
            }
            AssertClose(x, p.Data, 1e-7);
        }
    }

    [Fact]
    public void NoDecayParameterIsNotDecayed()
    {
        var decayed = Parameter.Full("w", Tensor.FromData([2f], 1));
        var plain = Parameter.Full("bias", Tensor.FromData([2f], 1), decay: false);
        var opt = new AdamW([decayed, plain], lr: 0.1, weightDecay: 0.5);
        opt.Step(); // zero gradients: only the decay can move a value
        Assert.Equal(2f * 0.95f, decayed.Data[0]);
        Assert.Equal(2f, plain.Data[0]);
    }

    [Fact]
    public void RowSubsetTrainsOnlyItsRowsWithRowSizedState()
    {
        var rng = new Rng(1);
        var matrix = Tensor.Zeros(10, 4);
        rng.FillNormal(matrix.Span, 0, 1);
        var before = matrix.ToArray();
        var rows = Parameter.Rows("embed_tokens.new_rows", matrix, 6, 3);
        Assert.Equal([3, 4], rows.Grad.Shape);

        // The same rows as a stand-alone parameter must follow exactly the same trajectory.
        var alone = Parameter.Full("alone", Tensor.FromData(before.AsSpan(24, 12), 3, 4));
        var optRows = new AdamW([rows], lr: 1e-2, weightDecay: 0.1);
        var optAlone = new AdamW([alone], lr: 1e-2, weightDecay: 0.1);
        for (int s = 0; s < 3; s++)
        {
            rng.FillNormal(rows.Grad.Span, 0, 1);
            rows.Grad.ReadOnlySpan.CopyTo(alone.Grad.Span);
            optRows.Step();
            optAlone.Step();
        }
        var after = matrix.ToArray();
        Assert.Equal(before.AsSpan(0, 24).ToArray(), after.AsSpan(0, 24).ToArray()); // frozen rows: bit-identical despite wd > 0
        Assert.Equal(before.AsSpan(36, 4).ToArray(), after.AsSpan(36, 4).ToArray());
        Assert.Equal(alone.Data.ToArray(), after.AsSpan(24, 12).ToArray());
        Assert.NotEqual(before.AsSpan(24, 12).ToArray(), after.AsSpan(24, 12).ToArray());
    }

    [Fact]
    public void ParameterValidation()
    {
        Assert.Throws<SpeechTokException>(() => Parameter.Rows("r", Tensor.Zeros(4, 2), 3, 2));
        Assert.Throws<SpeechTokException>(() => Parameter.Rows("r", Tensor.Zeros(8), 0, 1));
        var ex = Assert.Throws<SpeechTokException>(() => new AdamW([Parameter.Full("a", Tensor.Zeros(1)), Parameter.Full("a", Tensor.Zeros(1))]));
        Assert.Contains("'a'", ex.Message);
    }

    [Fact]
    public void ClippingScalesToMaxNormAndReturnsThePreClipNorm()
    {
        var a = Parameter.Full("a", Tensor.Zeros(1));
        var b = Parameter.Full("b", Tensor.Zeros(2));
        g(a, 3f);
        g(b, 0f, 4f);
        double norm = GradClip.ClipGradNorm([a, b], 1.0);
        Assert.Equal(5.0, norm, 12);
        double coef = 1.0 / (5.0 + 1e-6);
        Assert.Equal(3 * coef, a.Grad.ReadOnlySpan[0], 6);
        Assert.Equal(4 * coef, b.Grad.ReadOnlySpan[1], 6);
        Assert.Equal(1.0, GradClip.GlobalNorm([a, b]), 5);

        // Below the threshold (coef clamped to 1): gradients are untouched, bit for bit.
        g(a, 0.3f);
        g(b, 0.1f, -0.2f);
        double a0 = 0.3f, b0 = 0.1f, b1 = 0.2f;
        Assert.Equal(Math.Sqrt(a0 * a0 + b0 * b0 + b1 * b1), GradClip.ClipGradNorm([a, b], 10.0), 12);
        Assert.Equal(0.3f, a.Grad.ReadOnlySpan[0]);
        Assert.Equal([0.1f, -0.2f], b.Grad.ReadOnlySpan.ToArray());

        // A non-finite norm propagates, as torch with error_if_nonfinite=False.
        g(a, float.NaN);
        Assert.True(double.IsNaN(GradClip.ClipGradNorm([a, b], 1.0)));
        Assert.True(float.IsNaN(b.Grad.ReadOnlySpan[1]));
        Assert.Throws<SpeechTokException>(() => GradClip.ClipGradNorm([a], 0));
    }

    [Fact]
    public void LinearScheduleBoundaries()
    {
        var s = new LinearWarmupSchedule(1e-3, warmupSteps: 10, totalSteps: 100);
        Assert.Equal(0.0, s.LrAt(0));
        Assert.Equal(5e-4, s.LrAt(5), 15);
        Assert.Equal(1e-3, s.LrAt(10), 15);
        Assert.Equal(1e-3 * 89 / 90, s.LrAt(11), 15);
        Assert.Equal(5e-4, s.LrAt(55), 15);
        Assert.Equal(1e-3 / 90, s.LrAt(99), 15);
        Assert.Equal(0.0, s.LrAt(100));
        Assert.Equal(0.0, s.LrAt(150));

        var noWarm = new LinearWarmupSchedule(2.0, 0, 4);
        Assert.Equal([2.0, 1.5, 1.0, 0.5, 0.0], Enumerable.Range(0, 5).Select(i => noWarm.LrAt(i)));
        var allWarm = new LinearWarmupSchedule(1.0, 4, 4); // decay span 0: HF's max(1, ·) guard
        Assert.Equal([0.0, 0.25, 0.5, 0.75, 0.0], Enumerable.Range(0, 5).Select(i => allWarm.LrAt(i)));
        // The original scripts' max(1, int(ratio · total)): 9 of 95 at 10 % (HF's ceil would give 10), 1 at 0.5 %; 0 is no warm-up.
        Assert.Equal(9, LinearWarmupSchedule.FromRatio(1, 0.1, 95).WarmupSteps);
        Assert.Equal(1, LinearWarmupSchedule.FromRatio(1, 0.005, 95).WarmupSteps);
        Assert.Equal(0, LinearWarmupSchedule.FromRatio(1, 0, 95).WarmupSteps);
        Assert.Equal(1.0, LinearWarmupSchedule.FromRatio(1, 0, 95).LrAt(0));
        Assert.Throws<SpeechTokException>(() => LinearWarmupSchedule.FromRatio(1, 1.5, 95));
        Assert.Throws<SpeechTokException>(() => new LinearWarmupSchedule(1, -1, 3));
    }

    [Fact]
    public void StateSaveLoadResumesBitExactly()
    {
        var rng = new Rng(77);
        var matrix = Tensor.Zeros(8, 5);
        rng.FillNormal(matrix.Span, 0, 0.02);
        var lora = Tensor.Zeros(4, 5);
        rng.FillNormal(lora.Span, 0, 0.1);
        var paramsA = new[] { Parameter.Rows("embed.new", matrix, 5, 3), Parameter.Full("lora_A", lora), Parameter.Full("bias", Tensor.Zeros(7), decay: false) };
        var optA = new AdamW(paramsA, lr: 1e-2, weightDecay: 0.01);
        var grads = Enumerable.Range(0, 5).Select(_ => paramsA.Select(p => { var x = new float[p.Length]; rng.FillNormal(x, 0, 1); return x; }).ToArray()).ToArray();

        void StepWith(AdamW opt, Parameter[] ps, float[][] gs)
        {
            for (int i = 0; i < ps.Length; i++) gs[i].CopyTo(ps[i].Grad.Span);
            opt.Step();
        }

        for (int s = 0; s < 3; s++) StepWith(optA, paramsA, grads[s]);
        var statePath = Path.Combine(_dir, "optimizer.safetensors");
        optA.Save(statePath);
        var savedMatrix = matrix.ToArray();
        var savedLora = lora.ToArray();
        for (int s = 3; s < 5; s++) StepWith(optA, paramsA, grads[s]);

        var matrixB = Tensor.FromData(savedMatrix, 8, 5);
        var loraB = Tensor.FromData(savedLora, 4, 5);
        var paramsB = new[] { Parameter.Rows("embed.new", matrixB, 5, 3), Parameter.Full("lora_A", loraB), Parameter.Full("bias", Tensor.Zeros(7), decay: false) };
        var optB = new AdamW(paramsB, lr: 1e-2, weightDecay: 0.01);
        optB.Load(statePath);
        Assert.Equal(3, optB.StepCount);
        for (int s = 3; s < 5; s++) StepWith(optB, paramsB, grads[s]);

        Assert.Equal(matrix.ToArray(), matrixB.ToArray());
        Assert.Equal(lora.ToArray(), loraB.ToArray());
        Assert.Equal(5, optB.StepCount);
    }

    [Fact]
    public void LoadRejectsStateOfOtherParameters()
    {
        var path = Path.Combine(_dir, "opt.safetensors");
        var opt = new AdamW([Parameter.Rows("rows", Tensor.Zeros(6, 2), 4, 2)], weightDecay: 0);
        opt.Step();
        opt.Save(path);

        var otherRows = new AdamW([Parameter.Rows("rows", Tensor.Zeros(6, 2), 3, 2)], weightDecay: 0);
        Assert.Contains("trains rows", Assert.Throws<SpeechTokException>(() => otherRows.Load(path)).Message);
        Assert.Equal(0, otherRows.StepCount);
        var otherName = new AdamW([Parameter.Rows("other", Tensor.Zeros(6, 2), 4, 2)], weightDecay: 0);
        Assert.Contains("'other", Assert.Throws<SpeechTokException>(() => otherName.Load(path)).Message);
        var otherDecay = new AdamW([Parameter.Rows("rows", Tensor.Zeros(6, 2), 4, 2)], weightDecay: 0.1);
        Assert.Contains("weight_decay", Assert.Throws<SpeechTokException>(() => otherDecay.Load(path)).Message);

        SafeTensors.Save(path, [("rows.exp_avg", Tensor.Zeros(2, 2))]);
        Assert.Contains("metadata 'format' is missing", Assert.Throws<SpeechTokException>(() => opt.Load(path)).Message);
    }

    private static void g(Parameter p, params float[] values) => values.CopyTo(p.Grad.Span);

    private static void Add(Parameter p, float[] values)
    {
        var gr = p.Grad.Span;
        for (int i = 0; i < values.Length; i++) gr[i] += values[i];
    }

    private static void AssertClose(double[] expected, ReadOnlySpan<float> actual, double tol)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tol, $"[{i}] expected {expected[i]:R}, got {actual[i]:R}");
    }
}
