using System.Globalization;

namespace SpeechTok.Experiments.Plots;

/// <summary>Maps data values to pixels and proposes readable tick positions.</summary>
internal abstract class Scale
{
    protected Scale(double r0, double r1)
    {
        R0 = r0;
        R1 = r1;
    }

    public double R0 { get; }
    public double R1 { get; }
    public abstract double Map(double v);
    public abstract IReadOnlyList<double> Ticks();

    public virtual string Label(double v) => Format(v);

    public static string Format(double v)
    {
        if (v == 0) return "0";
        double a = Math.Abs(v);
        if (a >= 1e5 || a < 1e-3) return v.ToString("0.#E+0", CultureInfo.InvariantCulture);
        return Math.Round(v, 6).ToString("0.######", CultureInfo.InvariantCulture);
    }
}

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

internal sealed class LogScale : Scale
{
    private readonly double _l0, _l1;

    /// <summary>A base-10 domain from the decade at or below <paramref name="min"/> to the one at or above <paramref name="max"/>.</summary>
    public LogScale(double min, double max, double r0, double r1) : base(r0, r1)
    {
        if (!(min > 0) || !(max > 0) || !double.IsFinite(min) || !double.IsFinite(max))
            throw new SpeechTokException($"plot: a log axis needs positive finite values, got [{min}, {max}]");
        _l0 = Math.Floor(Math.Log10(Math.Min(min, max)) + 1e-9);
        _l1 = Math.Ceiling(Math.Log10(Math.Max(min, max)) - 1e-9);
        if (_l1 == _l0) _l1 += 1;
    }

    public override double Map(double v) => R0 + (Math.Log10(v) - _l0) / (_l1 - _l0) * (R1 - R0);

    /// <summary>Decades; with few decades also 2× and 5× so the axis has enough labels.</summary>
    public override IReadOnlyList<double> Ticks()
    {
        var t = new List<double>();
        bool fine = _l1 - _l0 <= 2;
        for (double e = _l0; e <= _l1 + 1e-9; e++)
        {
            double d = Math.Pow(10, e);
            t.Add(d);
            if (fine && e < _l1) { t.Add(2 * d); t.Add(5 * d); }
        }
        return t;
    }
}
