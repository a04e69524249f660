namespace SpeechTok.Experiments.Plots;

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
