using System.Globalization;
using System.Security;
using System.Text;

namespace SpeechTok.Experiments.Plots;

/// <summary>A minimal SVG writer: shapes carry a <c>class</c> (and <c>data-*</c> values) so tests and readers can find them.</summary>
internal sealed class Svg
{
    private readonly StringBuilder _sb = new();

    public Svg(double width, double height)
    {
        Width = width;
        Height = height;
        _sb.Append(CultureInfo.InvariantCulture,
            $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{N(width)}\" height=\"{N(height)}\" viewBox=\"0 0 {N(width)} {N(height)}\" font-family=\"DejaVu Sans, Arial, Helvetica, sans-serif\">\n");
        Rect(0, 0, width, height, "background", "#ffffff");
    }

    public double Width { get; }
    public double Height { get; }

    public static string N(double v) => Math.Round(v, 2).ToString("0.##", CultureInfo.InvariantCulture);

    public static string Esc(string s) => SecurityElement.Escape(s) ?? "";

    public static string Data(string name, string value) => $" data-{name}=\"{Esc(value)}\"";

    public static string Data(string name, double value) => Data(name, value.ToString("R", CultureInfo.InvariantCulture));

    public void Open(string cls, string extra = "") => _sb.Append($"<g class=\"{cls}\"{extra}>\n");

    public void Close() => _sb.Append("</g>\n");

    public void Line(double x1, double y1, double x2, double y2, string cls, string stroke, double width = 1, string? dash = null, string extra = "") =>
        _sb.Append($"<line class=\"{cls}\" x1=\"{N(x1)}\" y1=\"{N(y1)}\" x2=\"{N(x2)}\" y2=\"{N(y2)}\" stroke=\"{stroke}\" stroke-width=\"{N(width)}\"")
           .Append(dash == null ? "" : $" stroke-dasharray=\"{dash}\"").Append(extra).Append("/>\n");

    public void Rect(double x, double y, double w, double h, string cls, string fill, string extra = "", string? stroke = null) =>
        _sb.Append($"<rect class=\"{cls}\" x=\"{N(x)}\" y=\"{N(y)}\" width=\"{N(Math.Max(0, w))}\" height=\"{N(Math.Max(0, h))}\" fill=\"{fill}\"")
           .Append(stroke == null ? "" : $" stroke=\"{stroke}\"").Append(extra).Append("/>\n");

    public void Circle(double cx, double cy, double r, string cls, string fill, string extra = "", string stroke = "none") =>
        _sb.Append($"<circle class=\"{cls}\" cx=\"{N(cx)}\" cy=\"{N(cy)}\" r=\"{N(r)}\" fill=\"{fill}\" stroke=\"{stroke}\"{extra}/>\n");

    public void Polyline(IEnumerable<(double X, double Y)> points, string cls, string stroke, double width, string? dash = null, string extra = "") =>
        _sb.Append($"<polyline class=\"{cls}\" fill=\"none\" stroke=\"{stroke}\" stroke-width=\"{N(width)}\" stroke-linejoin=\"round\"")
           .Append(dash == null ? "" : $" stroke-dasharray=\"{dash}\"")
           .Append(" points=\"").Append(string.Join(' ', points.Select(p => $"{N(p.X)},{N(p.Y)}"))).Append('"').Append(extra).Append("/>\n");

    /// <param name="anchor">start, middle or end.</param>
    /// <param name="rotate">Degrees around (x, y); 0 for none.</param>
    public void Text(double x, double y, string text, string cls, string anchor = "middle", double size = 12, double rotate = 0,
        string fill = "#222222", bool bold = false, string baseline = "alphabetic") =>
        _sb.Append($"<text class=\"{cls}\" x=\"{N(x)}\" y=\"{N(y)}\" font-size=\"{N(size)}\" text-anchor=\"{anchor}\" fill=\"{fill}\"")
           .Append(baseline == "central" ? " dy=\"0.35em\"" : "") // dy, not dominant-baseline: more renderers honour it
           .Append(bold ? " font-weight=\"bold\"" : "")
           .Append(rotate == 0 ? "" : $" transform=\"rotate({N(rotate)} {N(x)} {N(y)})\"")
           .Append('>').Append(Esc(text)).Append("</text>\n");

    /// <summary>Rough width of a text in this font, for layout (no font metrics available).</summary>
    public static double TextWidth(string text, double size) => 0.6 * size * text.Length;

    public override string ToString() => _sb.ToString() + "</svg>\n";
}
