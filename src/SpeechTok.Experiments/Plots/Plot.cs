using SpeechTok.Evaluation;
using SpeechTok.IO;
using SpeechTok.Selection;

namespace SpeechTok.Experiments.Plots;

/// <summary>
/// The experiment's SVG plots, written without dependencies. Every plot has a title, axes with ticks,
/// axis labels and a legend; marks carry classes (<c>bar</c>, <c>seed-dot</c>, <c>series</c>, <c>cell</c>…)
/// and <c>data-*</c> values.
/// </summary>
public static class Plot
{
    private static readonly string[] Palette =
        ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];

    private const double W = 760, H = 460, Top = 70, TitleY = 26, LegendY = 48;

    /// <summary>Writes an SVG atomically (temp file, then rename).</summary>
    public static void Save(string path, string svg) => AtomicFile.WriteAllText(path, svg);

    /// <summary>The bar chart of every system of a results file, in its order.</summary>
    public static string MacroF1Bars(ExperimentResults results) =>
        MacroF1Bars(results.Systems.Select(s => new BarItem(s.System, s.MacroF1, s.MacroF1Std, s.PerSeed.Select(p => p.MacroF1).ToList())).ToList(),
            $"Macro-F1 per system ({string.Join(", ", results.Systems.Select(s => s.Split).Distinct())})");

    /// <summary>The heat map of a system's stored confusion matrix (see <see cref="SystemResult.ConfusionMatrix"/>).</summary>
    public static string ConfusionMatrix(SystemResult system, IReadOnlyList<string> classNames)
    {
        var cm = system.ConfusionMatrix ?? throw new SpeechTokException($"plot: system '{system.System}' has no confusion matrix");
        var counts = new int[cm.Length, cm.Length];
        for (int i = 0; i < cm.Length; i++)
        {
            if (cm[i].Length != cm.Length) throw new SpeechTokException($"plot: confusion matrix of '{system.System}' is not square");
            for (int j = 0; j < cm.Length; j++) counts[i, j] = cm[i][j];
        }
        return ConfusionMatrix(counts, classNames, $"Confusion matrix: {system.System} ({system.Split})");
    }

    /// <summary>Macro-F1 per system: bar = mean over seeds, whisker = ± std, dots = the individual seeds.</summary>
    public static string MacroF1Bars(IReadOnlyList<BarItem> bars, string title = "Test macro-F1 per system", string yLabel = "macro-F1")
    {
        if (bars.Count == 0) throw new SpeechTokException("plot: no systems to draw");
        foreach (var b in bars)
            if (!double.IsFinite(b.Mean) || b.Std is double s && !double.IsFinite(s) || b.PerSeed.Any(v => !double.IsFinite(v)))
                throw new SpeechTokException($"plot: system '{b.Label}' has a non-finite value");
        double maxLabel = bars.Max(b => Svg.TextWidth(b.Label, 11));
        bool rotate = maxLabel > 560.0 / bars.Count - 8;
        double bottom = H - (rotate ? 30 + 0.72 * maxLabel : 56);
        var svg = new Svg(W, H);
        const double left = 70, right = W - 30;
        double hi = bars.Max(b => Math.Max(b.Mean + (b.Std ?? 0), b.PerSeed.DefaultIfEmpty(0).Max()));
        var y = LinearScale.Nice(0, Math.Max(hi, 1e-9), bottom, Top);
        Header(svg, title, [("bar", "mean over seeds", Palette[0]), ("whisker", "± std", "#222222"), ("dot", "per seed", "#222222")]);
        YAxis(svg, y, left, right, yLabel, gridLines: true);

        double slot = (right - left) / bars.Count, barW = Math.Min(60, slot * 0.6);
        svg.Open("axis x-axis");
        svg.Line(left, bottom, right, bottom, "axis-line", "#222222");
        for (int i = 0; i < bars.Count; i++)
        {
            double cx = left + slot * (i + 0.5);
            svg.Open("tick");
            svg.Line(cx, bottom, cx, bottom + 5, "tick-mark", "#222222");
            if (rotate) svg.Text(cx + 4, bottom + 14, bars[i].Label, "tick-label", "end", 11, -35);
            else svg.Text(cx, bottom + 18, bars[i].Label, "tick-label", "middle", 11);
            svg.Close();
        }
        svg.Close();
        svg.Text((left + right) / 2, H - 8, "system", "axis-label x-label", "middle", 13);

        svg.Open("marks");
        for (int i = 0; i < bars.Count; i++)
        {
            var b = bars[i];
            double cx = left + slot * (i + 0.5);
            double yTop = y.Map(b.Mean);
            svg.Rect(cx - barW / 2, yTop, barW, bottom - yTop, "bar", Palette[0], Svg.Data("label", b.Label) + Svg.Data("value", b.Mean) + " fill-opacity=\"0.85\"");
            if (b.Std is double sd && sd > 0)
            {
                double y1 = y.Map(Math.Max(0, b.Mean - sd)), y2 = y.Map(b.Mean + sd);
                svg.Line(cx, y1, cx, y2, "whisker", "#222222", 1.5);
                svg.Line(cx - 7, y1, cx + 7, y1, "whisker", "#222222", 1.5);
                svg.Line(cx - 7, y2, cx + 7, y2, "whisker", "#222222", 1.5);
            }
            for (int k = 0; k < b.PerSeed.Count; k++)
            {
                // Spread the dots sideways so equal seeds stay visible.
                double dx = b.PerSeed.Count == 1 ? 0 : (k / (b.PerSeed.Count - 1.0) - 0.5) * barW * 0.6;
                svg.Circle(cx + dx, y.Map(b.PerSeed[k]), 3.2, "seed-dot", "#ffffff", Svg.Data("value", b.PerSeed[k]), "#222222");
            }
            double labelAt = Math.Max(b.Mean + (b.Std ?? 0), b.PerSeed.DefaultIfEmpty(b.Mean).Max()); // above whisker and dots
            svg.Text(cx, y.Map(labelAt) - 7, b.Mean.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture),
                "value-label", "middle", 10);
        }
        svg.Close();
        return svg.ToString();
    }

    /// <summary>The vocabulary-size curve: the F1 that scored each C (left axis, named by <paramref name="score"/>) and selected-token count
    /// (right axis) against C on a log axis; <paramref name="chosenC"/>, when given, is marked by a vertical line.</summary>
    public static string CSweep(IReadOnlyList<CSweepPoint> points, string title = "Token selection: F1 and vocabulary size vs C", double? chosenC = null,
        string score = "macro-F1 (inner split)")
    {
        if (points.Count == 0) throw new SpeechTokException("plot: the C sweep has no points");
        var pts = points.OrderBy(p => p.C).ToList();
        foreach (var p in pts)
            if (!(p.C > 0) || !double.IsFinite(p.C) || !double.IsFinite(p.Score) || p.SelectedTokens < 0)
                throw new SpeechTokException($"plot: C sweep point C={p.C} has an invalid value (C must be > 0, F1 finite, count ≥ 0)");
        var svg = new Svg(W, H);
        const double left = 70, right = W - 80, bottom = H - 60;
        var x = new LogScale(pts[0].C, pts[^1].C, left, right);
        var yF1 = LinearScale.Nice(0, Math.Max(1e-9, pts.Max(p => p.Score)), bottom, Top);
        var yN = LinearScale.Nice(0, Math.Max(1, pts.Max(p => p.SelectedTokens)), bottom, Top);
        string cF1 = Palette[0], cN = Palette[1];
        const string cChosen = "#555555";
        var legend = new List<(string, string, string)> { ("line", $"{score} (left axis)", cF1), ("dashed", "selected tokens (right axis)", cN) };
        if (chosenC is double c0) legend.Add(("dotted", $"chosen C = {c0.ToString("G4", System.Globalization.CultureInfo.InvariantCulture)}", cChosen));
        Header(svg, title, legend);
        YAxis(svg, yF1, left, right, score, gridLines: true, color: cF1);
        RightAxis(svg, yN, right, "selected audio tokens", cN);
        XAxis(svg, x, left, right, bottom, "C (inverse L1 strength, log scale)");

        svg.Open("marks");
        svg.Polyline(pts.Select(p => (x.Map(p.C), yF1.Map(p.Score))), "series", cF1, 2, extra: Svg.Data("series", "score"));
        foreach (var p in pts) svg.Circle(x.Map(p.C), yF1.Map(p.Score), 4, "point", cF1, Svg.Data("series", "score") + Svg.Data("x", p.C) + Svg.Data("value", p.Score));
        svg.Polyline(pts.Select(p => (x.Map(p.C), yN.Map(p.SelectedTokens))), "series", cN, 2, "6 4", Svg.Data("series", "selected tokens"));
        foreach (var p in pts)
            svg.Rect(x.Map(p.C) - 4, yN.Map(p.SelectedTokens) - 4, 8, 8, "point", cN, Svg.Data("series", "selected tokens") + Svg.Data("x", p.C) + Svg.Data("value", p.SelectedTokens));
        if (chosenC is double c && c >= pts[0].C && c <= pts[^1].C)
            svg.Line(x.Map(c), bottom, x.Map(c), Top, "chosen", cChosen, 1.5, "2 3", Svg.Data("x", c));
        svg.Close();
        return svg.ToString();
    }

    /// <summary>Confusion matrix as a heat map: rows are true classes, columns predictions; shade = share of the row, text = count.</summary>
    public static string ConfusionMatrix(int[,] counts, IReadOnlyList<string> classNames, string title = "Confusion matrix (test)")
    {
        int k = counts.GetLength(0);
        if (k == 0 || counts.GetLength(1) != k || classNames.Count != k)
            throw new SpeechTokException($"plot: confusion matrix is {counts.GetLength(0)}×{counts.GetLength(1)} with {classNames.Count} class names; expected K×K with K names");
        int max = 0;
        foreach (var c in counts)
        {
            if (c < 0) throw new SpeechTokException("plot: confusion matrix has a negative count");
            max = Math.Max(max, c);
        }
        double nameW = Math.Min(160, classNames.Max(n => Svg.TextWidth(n, 11)));
        double left = 40 + nameW, top = Top;
        double cell = Math.Clamp(360.0 / k, 14, 90), gridW = cell * k, bottom = top + gridW;
        double labelDrop = 0.6 * nameW + 16; // room for the rotated column names
        var svg = new Svg(Math.Max(left + gridW + 110, 420), bottom + labelDrop + 34);
        Header(svg, title, [("ramp", "share of the true class (text: count)", Palette[0])]);

        svg.Open("marks");
        for (int i = 0; i < k; i++)
        {
            int rowSum = 0;
            for (int j = 0; j < k; j++) rowSum += counts[i, j];
            for (int j = 0; j < k; j++)
            {
                double share = rowSum == 0 ? 0 : (double)counts[i, j] / rowSum;
                svg.Rect(left + j * cell, top + i * cell, cell, cell, "cell", Shade(share),
                    Svg.Data("true", classNames[i]) + Svg.Data("predicted", classNames[j]) + Svg.Data("count", counts[i, j]) + Svg.Data("share", share), "#ffffff");
                svg.Text(left + (j + 0.5) * cell, top + (i + 0.5) * cell, counts[i, j].ToString(System.Globalization.CultureInfo.InvariantCulture),
                    "cell-label", "middle", Math.Clamp(cell / 4, 9, 16), fill: share > 0.55 ? "#ffffff" : "#222222", baseline: "central");
            }
        }
        svg.Close();

        svg.Open("axis y-axis");
        svg.Line(left, top, left, bottom, "axis-line", "#222222");
        for (int i = 0; i < k; i++)
        {
            double cy = top + (i + 0.5) * cell;
            svg.Open("tick");
            svg.Line(left - 5, cy, left, cy, "tick-mark", "#222222");
            svg.Text(left - 8, cy, classNames[i], "tick-label", "end", 11, baseline: "central");
            svg.Close();
        }
        svg.Close();
        svg.Open("axis x-axis");
        svg.Line(left, bottom, left + gridW, bottom, "axis-line", "#222222");
        for (int j = 0; j < k; j++)
        {
            double cx = left + (j + 0.5) * cell;
            svg.Open("tick");
            svg.Line(cx, bottom, cx, bottom + 5, "tick-mark", "#222222");
            svg.Text(cx + 4, bottom + 14, classNames[j], "tick-label", "end", 11, -35);
            svg.Close();
        }
        svg.Close();
        svg.Text(left + gridW / 2, svg.Height - 8, "predicted class", "axis-label x-label", "middle", 13);
        svg.Text(14, top + gridW / 2, "true class", "axis-label y-label", "middle", 13, -90);

        // Colour bar: the legend of the shading.
        double bx = left + gridW + 30, bh = gridW;
        svg.Open("colorbar");
        const int steps = 20;
        for (int s = 0; s < steps; s++)
            svg.Rect(bx, top + bh * (1 - (s + 1.0) / steps), 16, bh / steps + 0.5, "colorbar-step", Shade((s + 0.5) / steps));
        foreach (var v in new[] { 0.0, 0.5, 1.0 })
        {
            double yy = top + bh * (1 - v);
            svg.Line(bx + 16, yy, bx + 21, yy, "tick-mark", "#222222");
            svg.Text(bx + 24, yy, v.ToString("0%", System.Globalization.CultureInfo.InvariantCulture), "tick-label", "start", 10, baseline: "central");
        }
        svg.Close();
        return svg.ToString();
    }

    /// <summary>Training/validation curves: several named series of (step, value).</summary>
    public static string Curves(IReadOnlyList<Series> series, string title = "Training curves", string xLabel = "step", string yLabel = "value")
    {
        if (series.Count == 0) throw new SpeechTokException("plot: no curves to draw");
        foreach (var s in series)
        {
            if (s.X.Count != s.Y.Count) throw new SpeechTokException($"plot: series '{s.Name}' has {s.X.Count} x values and {s.Y.Count} y values");
            if (s.X.Count == 0) throw new SpeechTokException($"plot: series '{s.Name}' is empty");
            if (s.X.Concat(s.Y).Any(v => !double.IsFinite(v))) throw new SpeechTokException($"plot: series '{s.Name}' has a non-finite value");
        }
        var svg = new Svg(W, H);
        const double left = 70, right = W - 30, bottom = H - 60;
        var x = LinearScale.Nice(series.Min(s => s.X.Min()), series.Max(s => s.X.Max()), left, right);
        var y = LinearScale.Nice(series.Min(s => s.Y.Min()), series.Max(s => s.Y.Max()), bottom, Top);
        Header(svg, title, series.Select((s, i) => (s.Dashed ? "dashed" : "line", s.Name, Palette[i % Palette.Length])).ToList());
        YAxis(svg, y, left, right, yLabel, gridLines: true);
        XAxis(svg, x, left, right, bottom, xLabel);
        svg.Open("marks");
        for (int i = 0; i < series.Count; i++)
        {
            var s = series[i];
            var color = Palette[i % Palette.Length];
            var order = Enumerable.Range(0, s.X.Count).OrderBy(j => s.X[j]).ToList();
            svg.Polyline(order.Select(j => (x.Map(s.X[j]), y.Map(s.Y[j]))), "series", color, 2, s.Dashed ? "6 4" : null, Svg.Data("series", s.Name));
            if (s.X.Count <= 40)
                foreach (var j in order) svg.Circle(x.Map(s.X[j]), y.Map(s.Y[j]), 2.8, "point", color, Svg.Data("series", s.Name) + Svg.Data("x", s.X[j]) + Svg.Data("value", s.Y[j]));
        }
        svg.Close();
        return svg.ToString();
    }

    // White → palette blue.
    private static string Shade(double t)
    {
        t = Math.Clamp(t, 0, 1);
        int r = (int)Math.Round(255 + (33 - 255) * t), g = (int)Math.Round(255 + (90 - 255) * t), b = (int)Math.Round(255 + (160 - 255) * t);
        return $"#{r:x2}{g:x2}{b:x2}";
    }

    private static void Header(Svg svg, string title, IReadOnlyList<(string Kind, string Name, string Color)> legend)
    {
        svg.Text(svg.Width / 2, TitleY, title, "title", "middle", 16, bold: true);
        // Legend: one row of swatches under the title, centred.
        double total = legend.Sum(l => 30 + Svg.TextWidth(l.Name, 11) + 18);
        double x = Math.Max(10, (svg.Width - total) / 2);
        svg.Open("legend");
        foreach (var (kind, name, color) in legend)
        {
            svg.Open("legend-item", Svg.Data("name", name));
            switch (kind)
            {
                case "bar": svg.Rect(x, LegendY - 6, 22, 12, "swatch", color); break;
                case "dot": svg.Circle(x + 11, LegendY, 3.2, "swatch", "#ffffff", stroke: color); break;
                case "whisker": svg.Line(x + 11, LegendY - 7, x + 11, LegendY + 7, "swatch", color, 1.5); break;
                case "dashed": svg.Line(x, LegendY, x + 22, LegendY, "swatch", color, 2, "6 4"); break;
                case "dotted": svg.Line(x, LegendY, x + 22, LegendY, "swatch", color, 1.5, "2 3"); break;
                case "ramp":
                    for (int s = 0; s < 4; s++) svg.Rect(x + s * 5.5, LegendY - 6, 5.5, 12, "swatch", Shade((s + 0.5) / 4));
                    break;
                default: svg.Line(x, LegendY, x + 22, LegendY, "swatch", color, 2); break;
            }
            svg.Text(x + 28, LegendY, name, "legend-label", "start", 11, baseline: "central");
            svg.Close();
            x += 30 + Svg.TextWidth(name, 11) + 18;
        }
        svg.Close();
    }

    private static void YAxis(Svg svg, Scale y, double left, double right, string label, bool gridLines, string color = "#222222")
    {
        svg.Open("axis y-axis");
        svg.Line(left, y.R0, left, y.R1, "axis-line", "#222222");
        foreach (var t in y.Ticks())
        {
            double yy = y.Map(t);
            svg.Open("tick", Svg.Data("value", t));
            if (gridLines) svg.Line(left, yy, right, yy, "grid", "#e6e6e6");
            svg.Line(left - 5, yy, left, yy, "tick-mark", "#222222");
            svg.Text(left - 8, yy, y.Label(t), "tick-label", "end", 11, baseline: "central");
            svg.Close();
        }
        svg.Close();
        svg.Text(18, (y.R0 + y.R1) / 2, label, "axis-label y-label", "middle", 13, -90, color);
    }

    private static void RightAxis(Svg svg, Scale y, double right, string label, string color)
    {
        svg.Open("axis y2-axis");
        svg.Line(right, y.R0, right, y.R1, "axis-line", color);
        foreach (var t in y.Ticks())
        {
            double yy = y.Map(t);
            svg.Open("tick", Svg.Data("value", t));
            svg.Line(right, yy, right + 5, yy, "tick-mark", color);
            svg.Text(right + 8, yy, y.Label(t), "tick-label", "start", 11, fill: color, baseline: "central");
            svg.Close();
        }
        svg.Close();
        svg.Text(svg.Width - 14, (y.R0 + y.R1) / 2, label, "axis-label y2-label", "middle", 13, 90, color);
    }

    private static void XAxis(Svg svg, Scale x, double left, double right, double bottom, string label)
    {
        svg.Open("axis x-axis");
        svg.Line(left, bottom, right, bottom, "axis-line", "#222222");
        foreach (var t in x.Ticks())
        {
            double xx = x.Map(t);
            svg.Open("tick", Svg.Data("value", t));
            svg.Line(xx, bottom, xx, bottom + 5, "tick-mark", "#222222");
            svg.Text(xx, bottom + 18, x.Label(t), "tick-label", "middle", 11);
            svg.Close();
        }
        svg.Close();
        svg.Text((left + right) / 2, bottom + 44, label, "axis-label x-label", "middle", 13);
    }
}
