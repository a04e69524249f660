using SpeechTok.Codec;

namespace SpeechTok.Tests.Codec;

public sealed class NearestCodeTests
{
    /// <summary>The plain scan the vectorised search must equal: first index of the smallest sum, NaN never taken.</summary>
    private static int Scan(float[] score, float[] norm2, out float value)
    {
        int best = 0;
        value = float.PositiveInfinity;
        for (int j = 0; j < score.Length; j++)
        {
            float v = score[j] + norm2[j];
            if (v < value) { value = v; best = j; }
        }
        return best;
    }

    [Fact]
    public void Vectorised_search_equals_the_scan_on_ties_signed_zeros_infinities_and_nans()
    {
        var rng = new Random(5);
        float[] special = [0f, -0f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, 1f, -1f];
        foreach (int k in new[] { 1, 2, 15, 16, 17, 31, 32, 33, 47, 64, 100, 1024 })
            for (int trial = 0; trial < 200; trial++)
            {
                var score = new float[k];
                var norm2 = new float[k];
                int kind = trial % 5;
                for (int j = 0; j < k; j++)
                {
                    // few distinct values make ties across and within vector lanes common
                    score[j] = kind switch
                    {
                        0 => (float)rng.NextDouble(),
                        1 => rng.Next(3),
                        2 => special[rng.Next(special.Length)],
                        3 => float.NaN,
                        _ => rng.Next(4) == 0 ? float.PositiveInfinity : float.NaN,
                    };
                    norm2[j] = kind == 2 ? special[rng.Next(special.Length)] : kind == 1 ? rng.Next(2) : (float)rng.NextDouble();
                }
                int want = Scan(score, norm2, out float wantValue);
                int got = NearestCode.ArgMin(score, norm2, out float gotValue);
                Assert.True(want == got, $"k={k} trial={trial}: index {got}, the scan gives {want}");
                Assert.Equal(BitConverter.SingleToInt32Bits(wantValue), BitConverter.SingleToInt32Bits(gotValue));
            }
    }

    [Fact]
    public void Every_position_of_a_unique_minimum_is_found()
    {
        const int k = 1024;
        var score = Enumerable.Repeat(1f, k).ToArray();
        var norm2 = new float[k];
        for (int at = 0; at < k; at++)
        {
            score[at] = -1f;
            Assert.Equal(at, NearestCode.ArgMin(score, norm2, out float v));
            Assert.Equal(-1f, v);
            score[at] = 1f;
        }
    }
}
