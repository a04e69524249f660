using SpeechTok.Tensors;
using SpeechTok.Training;

namespace SpeechTok.Tests.Training;

/// <summary>
/// The sampling step of <c>lm generate</c> (<see cref="LmGeneration.Sample"/>) on fixed logits: the draws follow
/// softmax(logits / temperature) over the top k ids, and no other id is ever drawn. Dropping the division by the
/// temperature went unnoticed by every other test.
/// </summary>
public sealed class LmSamplingTests
{
    // Distinct values (no ties); the top 3 are ids 1, 3 and 5, and id 0 (1.0) sits just below the cut.
    private static readonly float[] Logits = [1.0f, 3.0f, -0.5f, 2.2f, 0.0f, 1.7f];
    private static readonly int[] TopThree = [1, 3, 5];
    private const int Draws = 20_000;

    /// <summary>
    /// Seeded, so the counts are fixed; each of the top 3 is within 4 binomial standard deviations (√(n·p·(1−p))) of
    /// n·p, p = softmax(logits/T) over the top 3. Without the division (T treated as 1) the counts are 30σ and more away
    /// at both temperatures (T = 0.5: p(id 1) = 0.78 against 0.58; T = 2: 0.46 against 0.58).
    /// </summary>
    [Theory]
    [InlineData(0.5)]
    [InlineData(2.0)]
    public void Draws_follow_the_tempered_softmax_of_the_top_k(double temperature)
    {
        var rng = new Rng(20240611);
        var counts = new int[Logits.Length];
        for (int i = 0; i < Draws; i++) counts[LmGeneration.Sample(Logits, temperature, topK: 3, rng)]++;

        Assert.Equal(Draws, TopThree.Sum(id => counts[id])); // ids outside the top k never appear
        double max = Logits.Max();
        var weights = TopThree.Select(id => Math.Exp((Logits[id] - max) / temperature)).ToArray();
        for (int j = 0; j < TopThree.Length; j++)
        {
            double p = weights[j] / weights.Sum(), sigma = Math.Sqrt(Draws * p * (1 - p));
            Assert.True(Math.Abs(counts[TopThree[j]] - Draws * p) <= 4 * sigma,
                $"T = {temperature}: id {TopThree[j]} drawn {counts[TopThree[j]]} times, expected {Draws * p:F0} ± {4 * sigma:F0} (p = {p:F4})");
        }
    }
}
