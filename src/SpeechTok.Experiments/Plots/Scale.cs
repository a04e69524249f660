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
