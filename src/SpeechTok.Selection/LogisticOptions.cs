namespace SpeechTok.Selection;

public sealed record LogisticOptions
{
    /// <summary>Stop when the KKT residual (see <see cref="LogisticFit.Kkt"/>) is at most this.</summary>
    public double Tolerance { get; init; } = 1e-7;
    public int MaxOuterIterations { get; init; } = 500;
    /// <summary>L1 only: solve a geometric C path from the first C with a non-zero coefficient, this many steps per decade.</summary>
    public int PathStepsPerDecade { get; init; } = 3;
}
