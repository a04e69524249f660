using SpeechTok.Audio;
using SpeechTok.Codec;

namespace SpeechTok.Selection;

/// <summary>What <c>speechtok select</c> is asked to do (METHOD §2.5 defaults).</summary>
public sealed record SelectOptions
{
    public const double DefaultC = 0.03, DefaultTolerance = 1e-7;
    public const ulong DefaultSeed = 42;

    /// <summary>The parsed manifest; its train split is used.</summary>
    public required Manifest Manifest { get; init; }
    /// <summary>The RVQ layers whose codes are features (2–8 = acoustic only, 1–8 = all) and the codebook size.</summary>
    public required AudioFeatureLayout Layout { get; init; }
    public bool Bow { get; init; } = true;
    /// <summary>Inverse L1 strength (sklearn's C); not used when <see cref="ChooseC"/> is set.</summary>
    public double C { get; init; } = DefaultC;
    /// <summary>C values fitted and scored on the inner split besides the selection's own (selection.json's <c>sweep</c>).</summary>
    public double[] SweepC { get; init; } = [];
    /// <summary>When set, the selection's C is chosen from <see cref="SweepC"/> (<see cref="CChoice"/>) instead of being <see cref="C"/>:
    /// inside this range of selected audio tokens (a target, or a constraint from <c>--min-tokens/--max-token-share</c>; validated by <see cref="SelectionRunner.Run"/>).</summary>
    public SelectedTokenRange? ChooseC { get; init; }
    /// <summary>
    /// Folds of a stratified k-fold of the train split (<see cref="TokenSelection.StratifiedFolds"/>, seeded by <see cref="Seed"/>)
    /// whose mean F1 scores each C of <see cref="SweepC"/>, as sklearn's <c>LogisticRegressionCV(cv=k)</c> scores its Cs; the
    /// selection itself is still the fit on the inner 80 % (METHOD §2.5). 1: the inner split alone scores the sweep. Not with
    /// <see cref="SplitFile"/>, which gives one split.
    /// </summary>
    public int CvFolds { get; init; } = 1;
    /// <summary>JSON with <c>inner_train_idx</c> / <c>inner_test_idx</c> (indices into the train split); else a seeded stratified 80/20.</summary>
    public string? SplitFile { get; init; }
    public int? RandomK { get; init; }
    /// <summary>Seed of the inner split and of the random ablation.</summary>
    public ulong Seed { get; init; } = DefaultSeed;
    /// <summary>KKT residual at which the L1 solver stops.</summary>
    public double Tolerance { get; init; } = DefaultTolerance;
}
