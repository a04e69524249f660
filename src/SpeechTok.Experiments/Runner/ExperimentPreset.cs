using SpeechTok.Lm.Serialization;
using SpeechTok.Selection;
using SpeechTok.Training;

namespace SpeechTok.Experiments.Runner;

/// <summary>
/// The hyper-parameters of every step of an experiment. <see cref="Paper"/> is the paper's (METHOD.md);
/// <see cref="Quick"/> changes only what <see cref="Changes"/> lists, so a few hundred clips finish in minutes.
/// </summary>
public sealed record ExperimentPreset
{
    // The paper's values are the options records' defaults (before Paper and Quick: static initialisers run in order).
    private static readonly PretrainOptions PretrainDefaults = new();
    private static readonly FinetuneOptions FinetuneDefaults = new();

    public required string Name { get; init; }
    public int[] Seeds { get; init; } = FinetuneDefaults.Seeds;
    /// <summary>Fine-tuning epochs; null = the paper's 10 (5 for binary tasks).</summary>
    public int? FinetuneEpochs { get; init; }
    /// <summary>Early-stopping patience of fine-tuning, in epochs without a better val score.</summary>
    public int FinetunePatience { get; init; } = FinetuneDefaults.Patience;
    public int PretrainEpochs { get; init; } = PretrainDefaults.Epochs;
    public double PretrainLr { get; init; } = PretrainDefaults.Lr;
    public double FinetuneLr { get; init; } = FinetuneDefaults.Lr;
    public int FinetuneBatchSize { get; init; } = FinetuneDefaults.BatchSize;
    public int LoraRank { get; init; } = FinetuneDefaults.LoraRank;
    public float LoraAlpha { get; init; } = FinetuneDefaults.LoraAlpha;
    public int MaxLength { get; init; } = SampleSerializer.DefaultMaxLength;
    /// <summary>How messages name <see cref="MaxLength"/> (pre-training and fine-tuning refuse one that cuts every audio token):
    /// <c>experiment --max-length</c>, whose default is the preset's.</summary>
    public string MaxLengthField => SampleSerializer.MaxLengthOption;
    /// <summary>Fine-tuning's <see cref="FinetuneOptions.MetricForBestModel"/>; null = the method's choice for the task.</summary>
    public string? MetricForBestModel { get; init; }
    /// <summary>C values swept by the L1 selection (0.002 to 0.53 in steps of ×1.25); the one used is chosen on the inner split (see <see cref="CChoice"/>).</summary>
    public double[] SweepC { get; init; } = Enumerable.Range(0, 26).Select(i => Math.Round(0.002 * Math.Pow(1.25, i), 6)).ToArray();
    /// <summary>Fewest selected audio tokens accepted when choosing C (<see cref="SelectedTokenRange"/>).</summary>
    public int MinTokens { get; init; } = SelectedTokenRange.DefaultMinTokens;
    /// <summary>Most selected audio tokens accepted when choosing C, as a share of the audio token types that occur in train (<see cref="SelectedTokenRange"/>).</summary>
    public double MaxTokenShare { get; init; } = SelectedTokenRange.DefaultMaxTokenShare;

    /// <summary>The token range C is chosen within.</summary>
    public SelectedTokenRange TokenTarget => new(MinTokens, MaxTokenShare) { MinTokensName = $"preset '{Name}' min tokens", MaxTokenShareName = $"preset '{Name}' max token share" };

    /// <summary>The accepted range of selected audio tokens for <paramref name="occurring"/> audio token types in train.</summary>
    public (int Min, int Max) TokenRange(int occurring) => TokenTarget.For(occurring);

    /// <summary><see cref="TokenRange"/> in words, for the settings table and the report.</summary>
    public string TokenRangeText => TokenTarget.Text;
    /// <summary>What this preset changes relative to <see cref="Paper"/> (empty for the paper's).</summary>
    public IReadOnlyList<string> Changes { get; init; } = [];

    public static ExperimentPreset Paper { get; } = new() { Name = "paper" };

    public static ExperimentPreset Quick { get; } = new()
    {
        Name = "quick",
        PretrainLr = 3e-3,
        FinetuneEpochs = 25,
        FinetunePatience = 5,
        FinetuneLr = 5e-3,
        FinetuneBatchSize = 16,
        LoraRank = 16,
        LoraAlpha = 16,
        Changes =
        [
            "pre-training lr 3e-3 instead of 3e-4 (a few hundred samples give ~15 updates per epoch; at 3e-4 the audio rows barely leave " +
            "their N(0, 0.02²) start: demo eval loss 5.5 vs 3.4)",
            "fine-tuning: at most 25 epochs with patience 5 instead of 10 (5 for binary) with patience 3, batch 16 instead of 32, lr 5e-3 instead of 1e-3 " +
            "(a few hundred samples give ~20 optimizer steps per epoch; at the paper's lr the small LM stays near chance even on the text, and with " +
            "15 epochs and patience 3 most audio runs peaked in their last epochs or stopped on an early plateau)",
            "LoRA rank 16, alpha 16 (scale 1.0) instead of rank 64, alpha 16 (scale 0.25)",
        ],
    };

    public static ExperimentPreset Parse(string name) => name switch
    {
        "quick" => Quick,
        "paper" => Paper,
        _ => throw new SpeechTokException($"--preset '{name}': expected quick or paper"),
    };

    /// <summary>The key=value lines that make a run folder's identity (a rerun must match them).</summary>
    public IEnumerable<KeyValuePair<string, string>> Describe()
    {
        yield return new("preset", Name);
        yield return new("seeds", string.Join(",", Seeds));
        yield return new("pre-training epochs / lr", $"{PretrainEpochs} / {PretrainLr}");
        yield return new("fine-tuning epochs / patience", $"{FinetuneEpochs?.ToString() ?? "10 (5 for binary)"} / {FinetunePatience}");
        yield return new("fine-tuning lr / batch", $"{FinetuneLr} / {FinetuneBatchSize}");
        yield return new("LoRA r / alpha", $"{LoraRank} / {LoraAlpha}");
        // Only when set, so that experiment folders made before the option keep their identity.
        if (MetricForBestModel != null) yield return new("fine-tuning metric_for_best_model", MetricForBestModel);
        yield return new("max length", MaxLength.ToString());
        yield return new("selection C sweep", $"{SweepC.Length} values, {SweepC.Min()} … {SweepC.Max()} (×1.25 apart)");
        yield return new("selected-token target range", TokenRangeText);
    }
}
