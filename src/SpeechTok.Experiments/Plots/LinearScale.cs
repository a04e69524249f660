namespace SpeechTok.Experiments.Plots;

internal sealed class LinearScale : Scale
{
    private readonly double _d0, _d1, _step;

    private LinearScale(double d0, double d1, double step, double r0, double r1) : base(r0, r1)
    {
        _d0 = d0;
        _d1 = d1;
        _step = step;
    }

    /// <summary>A domain covering [min, max] extended to whole tick steps (1, 2 or 5 × 10^k; about <paramref name="ticks"/> ticks).</summary>
    public static LinearScale Nice(double min, double max, double r0, double r1, int ticks = 5)
    {
        if (!double.IsFinite(min) || !double.IsFinite(max)) throw new SpeechTokException($"plot: axis range [{min}, {max}] is not finite");
        if (max < min) (min, max) = (max, min);
        if (max == min) { min -= min == 0 ? 0 : Math.Abs(min) * 0.1; max += max == 0 ? 1 : Math.Abs(max) * 0.1; }
        double raw = (max - min) / Math.Max(1, ticks);
        double mag = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double f = raw / mag;
        double step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
        double d0 = Math.Floor(min / step + 1e-9) * step, d1 = Math.Ceiling(max / step - 1e-9) * step;
        return new LinearScale(d0, d1, step, r0, r1);
    }

    public override double Map(double v) => R0 + (v - _d0) / (_d1 - _d0) * (R1 - R0);

    public override IReadOnlyList<double> Ticks()
    {
        var t = new List<double>();
        int n = (int)Math.Round((_d1 - _d0) / _step);
        for (int i = 0; i <= n; i++) t.Add(Math.Round(_d0 + i * _step, 12));
        return t;
    }
}
