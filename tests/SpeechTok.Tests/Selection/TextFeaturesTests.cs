using SpeechTok.Selection;

namespace SpeechTok.Tests.Selection;

public sealed class TextFeaturesTests
{
    [Fact]
    public void TokenizerKeepsRunsOfTwoOrMoreWordCodePoints()
    {
        Assert.Equal(["hello", "world_42", "ab"], CountVectorizer.Tokenize("Hello, a WORLD_42 b-ab!").ToArray());
        // U+1D400 (MATHEMATICAL BOLD CAPITAL A) is one letter: "𝐀x" is a 2-code-point token, "𝐀" alone is not.
        Assert.Equal(["\U0001D400x"], CountVectorizer.Tokenize("\U0001D400x \U0001D400").ToArray());
        // Mojibake from the real data: â is a letter, € is not.
        Assert.Equal(["worldâ"], CountVectorizer.Tokenize("worldâ€”").ToArray());
    }

    [Fact]
    public void LowercaseFollowsPython()
    {
        Assert.Equal("i\u0307stanbul", CountVectorizer.PythonLower("İSTANBUL"));
        Assert.Equal("\u03BF\u03B4\u03BF\u03C2", CountVectorizer.PythonLower("\u039F\u0394\u039F\u03A3")); // final sigma
        Assert.Equal("\u03C3\u03B1", CountVectorizer.PythonLower("\u03A3\u0391"));
    }

    /// <summary>Python's Final_Sigma skips case-ignorable characters (. ' : ΅ marks, soft hyphen) and needs a *cased* letter
    /// before: a CJK letter is not one. Expected values are CPython's <c>str.lower()</c>.</summary>
    [Theory]
    [InlineData("\u039F\u0394\u039F\u03A3.\u039F\u0394\u039F\u03A3", "\u03BF\u03B4\u03BF\u03C3.\u03BF\u03B4\u03BF\u03C2")]
    [InlineData("\u0391\u03A3'\u0391", "\u03B1\u03C3'\u03B1")]
    [InlineData("\u0391\u03A3:\u0391", "\u03B1\u03C3:\u03B1")]
    [InlineData("\u0391\u03A3\u0385\u0391", "\u03B1\u03C3\u0385\u03B1")]
    [InlineData("\u4E2D\u03A3", "\u4E2D\u03C3")]
    [InlineData("\u0391\u03A3\u0308", "\u03B1\u03C2\u0308")]
    [InlineData("\u0391\u03A31", "\u03B1\u03C21")]
    [InlineData("\u03A3", "\u03C3")]
    [InlineData("\u2160\u03A3", "\u2170\u03C2")]
    [InlineData("\u0391\u03A3\u00AD\u0392", "\u03B1\u03C3\u00AD\u03B2")]
    public void Capital_sigma_lowers_as_python_does(string text, string lower) => Assert.Equal(lower, CountVectorizer.PythonLower(text));

    [Fact]
    public void VocabularyIsInCodePointOrder()
    {
        // UTF-16 ordinal order puts U+FF41 (fullwidth a) after the surrogate pair of U+1D400; Python does not.
        // (U+1D400, mathematical bold A, has no lowercase mapping.)
        var v = CountVectorizer.Fit(["\uFF21\uFF21 \U0001D400\U0001D400 zz"]);
        Assert.Equal(["zz", "\uFF41\uFF41", "\U0001D400\U0001D400"], v.Vocabulary);
        var x = v.Transform(["zz zz unknown \uFF21\uFF21"]);
        Assert.Equal(2, x.Nnz);
        Assert.Equal([0, 1], x.Indices[..2]);
        Assert.Equal([2.0, 1.0], x.Values[..2]);
    }

    [Fact]
    public void TfidfAndScalerFollowSklearnFormulas()
    {
        var counts = CsrMatrix.FromRows(3, [
            new Dictionary<int, double> { [0] = 1, [1] = 2 },
            new Dictionary<int, double> { [0] = 3 },
            new Dictionary<int, double>(),
        ]);
        var tf = TfidfTransformer.Fit(counts);
        Assert.Equal(Math.Log(4.0 / 3) + 1, tf.Idf[0], 14);
        Assert.Equal(Math.Log(4.0 / 2) + 1, tf.Idf[1], 14);
        Assert.Equal(Math.Log(4.0 / 1) + 1, tf.Idf[2], 14);
        var x = tf.Transform(counts);
        double a = tf.Idf[0], b = 2 * tf.Idf[1], norm = Math.Sqrt(a * a + b * b);
        Assert.Equal(a / norm, x.Values[0], 14);
        Assert.Equal(b / norm, x.Values[1], 14);
        Assert.Equal(1.0, x.Values[2], 14);
        var sc = StandardScalerNoMean.Fit(x);
        double m = (x.Values[0] + 1) / 3, var0 = ((x.Values[0] - m) * (x.Values[0] - m) + (1 - m) * (1 - m) + m * m) / 3;
        Assert.Equal(var0, sc.Variance[0], 14);
        Assert.Equal(Math.Sqrt(var0), sc.Scale[0], 14);
        Assert.Equal(1.0, sc.Scale[2]); // zero variance → 1
        Assert.Equal(x.Values[1] / sc.Scale[1], sc.Transform(x).Values[1], 14);
    }
}
