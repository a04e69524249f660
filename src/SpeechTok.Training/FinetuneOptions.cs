namespace SpeechTok.Training;

/// <summary>Step 3 hyper-parameters (METHOD §4.5 defaults; epochs 10, or 5 for binary tasks, when null).</summary>
public sealed record FinetuneOptions
{
    public double Lr { get; init; } = 1e-3;
    public int? Epochs { get; init; }
    public int BatchSize { get; init; } = 32;
    public double WarmupRatio { get; init; } = 0.05;
    public int Patience { get; init; } = 3;
    public int LoraRank { get; init; } = 64;
    public float LoraAlpha { get; init; } = 16;
    public float LoraDropout { get; init; } = 0.1f;
    /// <summary>PEFT target_modules: names from <see cref="SpeechTok.Lm.Model.LoraAdapters.LayerProjections"/>; the method's q_proj and v_proj by default.</summary>
    public string[] LoraTargetModules { get; init; } = SpeechTok.Lm.Model.LoraAdapters.DefaultTargets;
    /// <summary>LLaMA-Factory's finetuning_type: <see cref="Lora"/> (adapters + head) or <see cref="Full"/> (every weight of the backbone + head).</summary>
    public string FinetuningType { get; init; } = Lora;
    /// <summary>AdamW weight decay (none on 1-D tensors: norms, biases); 0 by default, as the method's LoRA runs.</summary>
    public double WeightDecay { get; init; }
    public double MaxGradNorm { get; init; } = 1.0;
    /// <summary>
    /// HF <c>metric_for_best_model</c> (without <c>eval_</c>): the val metric that picks the best epoch and drives early
    /// stopping, <c>macro_f1</c> or <c>f1_class_1</c>; null = the method's choice (<see cref="Evaluation.ClassificationMetrics.SelectionName"/>:
    /// f1_class_1 for binary tasks, macro_f1 otherwise). On a balanced binary task whose class 1 is not the class of
    /// interest, f1_class_1 rates "always 1" at 0.667 and can keep that epoch; macro_f1 rates it at 0.333.
    /// </summary>
    public string? MetricForBestModel { get; init; }
    public int[] Seeds { get; init; } = [42, 100, 6, 10, 420];
    /// <summary>
    /// Seeds trained at once, sharing the threads (<see cref="SpeechTok.Tensors.Threading.RunJobs"/>); 0 = auto: every
    /// thread its own seed for a backbone of at most <see cref="SmallModelParameters"/> parameters, one seed at a time
    /// otherwise. The numbers do not depend on it, so run.json does not record it.
    /// </summary>
    public int SeedWorkers { get; init; }

    /// <summary>Backbones up to this size run one seed per thread by default: their products are too small for threads to share one step well.</summary>
    public const long SmallModelParameters = 20_000_000;

    public const string Lora = "lora", Full = "full";

    public int EpochsFor(TaskKind task) => Epochs ?? (task == TaskKind.Binary ? 5 : 10);

    /// <summary>Optimizer steps of one epoch over <paramref name="trainCount"/> samples (the last batch may be short).</summary>
    internal int StepsPerEpoch(int trainCount) => (int)(((long)trainCount + BatchSize - 1) / BatchSize);

    /// <summary>Optimizer steps of a seed's run (<see cref="TrainingLoop.TotalSteps"/>: refused beyond int range, naming the options).</summary>
    internal int TotalSteps(int trainCount, TaskKind task) => TrainingLoop.TotalSteps(StepsPerEpoch(trainCount), EpochsFor(task), "--batch-size");

    /// <summary>Checks every option before anything is written; errors name the CLI option.</summary>
    public void Validate()
    {
        if (!(Lr > 0 && double.IsFinite(Lr))) throw new SpeechTokException($"--lr {Lr}: must be a positive number");
        if (Epochs < 1) throw new SpeechTokException($"--epochs {Epochs}: must be at least 1");
        if (BatchSize < 1) throw new SpeechTokException($"--batch-size {BatchSize}: must be at least 1");
        if (!(WarmupRatio is >= 0 and <= 1)) throw new SpeechTokException($"--warmup-ratio {WarmupRatio}: must be in [0, 1]");
        if (Patience < 1) throw new SpeechTokException(PatienceError(Patience));
        if (LoraRank < 1) throw new SpeechTokException($"--lora-r {LoraRank}: must be at least 1");
        if (!(LoraAlpha > 0 && float.IsFinite(LoraAlpha))) throw new SpeechTokException($"--lora-alpha {LoraAlpha}: must be a positive number");
        if (!(LoraDropout is >= 0 and < 1)) throw new SpeechTokException($"--lora-dropout {LoraDropout}: must be in [0, 1)");
        if (FinetuningType is not (Lora or Full)) throw new SpeechTokException($"--finetuning-type '{FinetuningType}': expected {Lora} or {Full}");
        SpeechTok.Lm.Model.LoraAdapters.CheckTargets(LoraTargetModules); // before the run folder exists, not at the first seed
        if (!(WeightDecay >= 0 && double.IsFinite(WeightDecay))) throw new SpeechTokException($"--weight-decay {WeightDecay}: must be a finite number ≥ 0");
        if (!(MaxGradNorm >= 0 && double.IsFinite(MaxGradNorm))) throw new SpeechTokException($"--max-grad-norm {MaxGradNorm}: must be a finite number ≥ 0 (0: no clipping)");
        if (SeedWorkers < 0) throw new SpeechTokException($"--seed-workers {SeedWorkers}: must be ≥ 0 (0 = auto)");
        CheckSeeds(Seeds);
    }

    /// <summary>
    /// The refusal of a patience below 1. The loop stops at the first evaluation without improvement whether patience is 0
    /// or 1, while HF's EarlyStoppingCallback (counter ≥ patience) would stop at the first evaluation with 0: rather than
    /// keep a value that means neither, it is refused.
    /// </summary>
    internal static string PatienceError(int patience) =>
        $"--patience {patience}: must be at least 1, the evaluations in a row without improvement that stop training (HF's 0 would stop at the first evaluation)";

    /// <summary>
    /// Seeds name the seed-S folders and seed the runs: a list of distinct non-negative integers, as HF's seeds are (a
    /// negative one made a folder "seed--5"); errors name <c>--seeds</c>.
    /// </summary>
    public static void CheckSeeds(IReadOnlyList<int> seeds)
    {
        if (seeds.Count == 0 || seeds.Distinct().Count() != seeds.Count) throw new SpeechTokException("--seeds must list distinct integers");
        if (seeds.FirstOrDefault(s => s < 0) is < 0 and var negative) throw new SpeechTokException($"--seeds: seed {negative} is negative; seeds are non-negative integers");
    }
}
