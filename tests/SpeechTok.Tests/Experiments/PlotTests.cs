using SpeechTok.Evaluation;
using System.Globalization;
using System.Xml.Linq;
using SpeechTok.Experiments.Plots;
using SpeechTok.Selection;

namespace SpeechTok.Tests.Experiments;

public sealed class PlotTests
{
    private static readonly XNamespace S = "http://www.w3.org/2000/svg";

    private static IEnumerable<XElement> ByClass(XDocument d, string cls) =>
        d.Descendants().Where(e => ((string?)e.Attribute("class"))?.Split(' ').Contains(cls) == true);

    private static double A(XElement e, string name) => double.Parse((string)e.Attribute(name)!, CultureInfo.InvariantCulture);

    /// <summary>Every plot: valid XML, a title, axis labels, ticks with labels on each axis, and a legend with text.</summary>
    private static XDocument CheckFrame(string svg, string title, params string[] axes)
    {
        var d = XDocument.Parse(svg);
        Assert.Equal(S + "svg", d.Root!.Name);
        Assert.Equal(title, ByClass(d, "title").Single().Value);
        Assert.NotEmpty(ByClass(d, "x-label").Single().Value);
        Assert.NotEmpty(ByClass(d, "y-label").Single().Value);
        foreach (var axis in axes)
        {
            var ax = ByClass(d, axis).Single();
            Assert.Single(ax.Descendants(), e => (string?)e.Attribute("class") == "axis-line");
            var ticks = ax.Descendants().Where(e => (string?)e.Attribute("class") == "tick").ToList();
            Assert.True(ticks.Count >= 2, $"{axis} has {ticks.Count} ticks");
            Assert.All(ticks, t => Assert.NotEmpty(t.Descendants(S + "text").Single().Value));
        }
        var legend = ByClass(d, "legend-item").ToList();
        Assert.NotEmpty(legend);
        Assert.All(legend, l => Assert.NotEmpty(l.Descendants(S + "text").Single().Value));
        return d;
    }

    [Fact]
    public void BarsAreAsTallAsTheirMeansWithOneDotPerSeed()
    {
        var bars = new[]
        {
            new BarItem("text-only-llm", 0.48, 0.02, [0.46, 0.5, 0.48]),
            new BarItem("audio-lasso", 0.81, 0.05, [0.76, 0.81, 0.86]),
            new BarItem("bow <&>", 0.3, null, [0.3]),
        };
        var d = CheckFrame(Plot.MacroF1Bars(bars, "F1"), "F1", "x-axis", "y-axis");
        var rects = ByClass(d, "bar").ToList();
        Assert.Equal(["text-only-llm", "audio-lasso", "bow <&>"], rects.Select(r => (string)r.Attribute("data-label")!));
        var bottoms = rects.Select(r => A(r, "y") + A(r, "height")).ToList();
        Assert.All(bottoms, b => Assert.Equal(bottoms[0], b, 3)); // common baseline
        var heights = rects.Select(r => A(r, "height")).ToList();
        Assert.True(heights[2] < heights[0] && heights[0] < heights[1]);
        Assert.Equal(0.81 / 0.48, heights[1] / heights[0], 2); // linear from 0
        var dots = ByClass(d, "seed-dot").ToList();
        Assert.Equal(7, dots.Count);
        Assert.True(A(dots[3], "cy") > A(dots[4], "cy") && A(dots[4], "cy") > A(dots[5], "cy")); // 0.76 below 0.81 below 0.86
        Assert.Equal(6, ByClass(d, "whisker").Count()); // no whisker without a std
        Assert.Equal(3, ByClass(d, "x-axis").Single().Descendants(S + "text").Count());
    }

    [Fact]
    public void CSweepUsesALogXAxisAndTwoYAxes()
    {
        var pts = new CSweepPoint[] { new(0.1, 0.7, 200), new(0.001, 0.2, 0), new(0.01, 0.6, 40) };
        var d = CheckFrame(Plot.CSweep(pts, "sweep"), "sweep", "x-axis", "y-axis", "y2-axis");
        Assert.NotEmpty(ByClass(d, "y2-label").Single().Value);
        var f1 = ByClass(d, "point").Where(e => (string?)e.Attribute("data-series") == "score").ToList();
        var xs = f1.Select(e => A(e, "cx")).ToList();
        Assert.Equal([0.001, 0.01, 0.1], f1.Select(e => A(e, "data-x")));
        Assert.True(xs[0] < xs[1] && xs[1] < xs[2]);
        Assert.Equal(xs[1] - xs[0], xs[2] - xs[1], 3); // decades equally spaced
        var ys = f1.Select(e => A(e, "cy")).ToList();
        Assert.True(ys[0] > ys[1] && ys[1] > ys[2]); // higher F1 is higher up
        var counts = ByClass(d, "point").Where(e => (string?)e.Attribute("data-series") == "selected tokens").Select(e => A(e, "y")).ToList();
        Assert.True(counts[0] > counts[1] && counts[1] > counts[2]);
        Assert.Equal(2, ByClass(d, "series").Count());
        Assert.Empty(ByClass(d, "chosen"));
        var marked = CheckFrame(Plot.CSweep(pts, "sweep", chosenC: 0.01), "sweep", "x-axis", "y-axis", "y2-axis");
        var line = ByClass(marked, "chosen").Single();
        Assert.Equal(0.01, A(line, "data-x"));
        Assert.Equal(xs[1], A(line, "x1"), 3);
        Assert.Contains(marked.Descendants(), e => e.Value == "chosen C = 0.01");
        var xTicks = ByClass(d, "x-axis").Single().Descendants().Where(e => (string?)e.Attribute("class") == "tick").Select(t => A(t, "data-value")).ToList();
        Assert.Contains(0.001, xTicks);
        Assert.Contains(0.1, xTicks);
    }

    [Fact]
    public void ConfusionMatrixShowsEveryCountShadedByRowShare()
    {
        var cm = new[,] { { 8, 2 }, { 1, 9 } };
        var d = CheckFrame(Plot.ConfusionMatrix(cm, ["neg", "pos"], "cm"), "cm", "x-axis", "y-axis");
        var cells = ByClass(d, "cell").ToList();
        Assert.Equal(4, cells.Count);
        Assert.Equal([8, 2, 1, 9], cells.Select(c => (int)A(c, "data-count")));
        Assert.Equal(["8", "2", "1", "9"], ByClass(d, "cell-label").Select(t => t.Value));
        int Red(XElement c) => Convert.ToInt32(((string)c.Attribute("fill")!).Substring(1, 2), 16);
        Assert.True(Red(cells[0]) < Red(cells[1])); // 80 % darker than 20 %
        Assert.True(Red(cells[3]) < Red(cells[0])); // 90 % darker than 80 %
        Assert.True(A(cells[1], "x") > A(cells[0], "x") && A(cells[2], "y") > A(cells[0], "y"));
        Assert.NotEmpty(ByClass(d, "colorbar-step"));
        Assert.Throws<SpeechTokException>(() => Plot.ConfusionMatrix(cm, ["only one"]));
    }

    [Fact]
    public void CurvesDrawEverySeriesInStepOrder()
    {
        var d = CheckFrame(Plot.Curves(
        [
            new Series("train loss", [0, 10, 20, 30], [2.0, 1.2, 0.8, 0.5]),
            new Series("val loss", [30, 0, 15], [0.9, 2.1, 1.3], Dashed: true),
        ], "curves", "step", "loss"), "curves", "x-axis", "y-axis");
        var lines = ByClass(d, "series").ToList();
        Assert.Equal(["train loss", "val loss"], lines.Select(l => (string)l.Attribute("data-series")!));
        Assert.Equal(2, ByClass(d, "legend-item").Count());
        foreach (var l in lines)
        {
            var pts = ((string)l.Attribute("points")!).Split(' ')
                .Select(p => p.Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray()).ToList();
            for (int i = 1; i < pts.Count; i++)
            {
                Assert.True(pts[i][0] > pts[i - 1][0]);  // x ascending
                Assert.True(pts[i][1] > pts[i - 1][1]);  // decreasing loss goes down the screen (y grows)
            }
        }
        Assert.Throws<SpeechTokException>(() => Plot.Curves([new Series("bad", [0, 1], [1])]));
        Assert.Throws<SpeechTokException>(() => Plot.Curves([new Series("nan", [0, 1], [1, double.NaN])]));
    }

    [Fact]
    public void PlotsDrawStraightFromResults()
    {
        var a = SystemResult.FromSeeds("audio-lasso", [new SeedScore { MacroF1 = 0.8 }, new SeedScore { MacroF1 = 0.9 }]) with { ConfusionMatrix = [[3, 1], [0, 4]] };
        var b = SystemResult.FromSeeds("bow", [new SeedScore { MacroF1 = 0.5 }]);
        var results = new ExperimentResults { Manifest = "m.csv", Task = "binary", Systems = [a, b] };
        var bars = XDocument.Parse(Plot.MacroF1Bars(results));
        Assert.Equal([0.85, 0.5], ByClass(bars, "bar").Select(r => Math.Round(A(r, "data-value"), 9)));
        Assert.Equal(3, ByClass(bars, "seed-dot").Count());
        var cm = XDocument.Parse(Plot.ConfusionMatrix(a, ["no", "yes"]));
        Assert.Equal([3, 1, 0, 4], ByClass(cm, "cell").Select(c => (int)A(c, "data-count")));
        Assert.Throws<SpeechTokException>(() => Plot.ConfusionMatrix(b, ["no", "yes"]));
    }

    [Fact]
    public void BadValuesAreRejected()
    {
        Assert.Throws<SpeechTokException>(() => Plot.MacroF1Bars([]));
        Assert.Throws<SpeechTokException>(() => Plot.MacroF1Bars([new BarItem("x", double.NaN, null, [])]));
        Assert.Throws<SpeechTokException>(() => Plot.CSweep([new CSweepPoint(0, 0.5, 3)]));
    }

    [Fact]
    public void ScalesPickRoundTicks()
    {
        Assert.Equal([0, 0.2, 0.4, 0.6, 0.8, 1.0], LinearScale.Nice(0, 0.87, 100, 0).Ticks());
        Assert.Equal([0, 50, 100, 150], LinearScale.Nice(0, 137, 0, 1, 4).Ticks());
        Assert.Equal([0.001, 0.01, 0.1, 1, 10], new LogScale(0.003, 4, 0, 1).Ticks().Select(t => Math.Round(t, 10)));
        Assert.Equal([0.01, 0.02, 0.05, 0.1], new LogScale(0.01, 0.07, 0, 1).Ticks().Select(t => Math.Round(t, 10)));
        Assert.Equal("0.03", Scale.Format(0.03));
        Assert.Equal("1E-4", Scale.Format(1e-4));
    }

    [Fact]
    public void SaveWritesAtomically()
    {
        var dir = Path.Combine(Path.GetTempPath(), "speechtok-plot-" + Guid.NewGuid().ToString("N"));
        try
        {
            var path = Path.Combine(dir, "f1.svg");
            var svg = Plot.MacroF1Bars([new BarItem("a", 0.5, 0.1, [0.4, 0.6])]);
            Plot.Save(path, svg);
            Assert.Equal(svg, File.ReadAllText(path));
            Assert.Single(Directory.GetFiles(dir));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
