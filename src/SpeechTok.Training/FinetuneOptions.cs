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
}
