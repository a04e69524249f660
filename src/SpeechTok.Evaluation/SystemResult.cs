using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace SpeechTok.Evaluation;

/// <summary>One system's entry of results.json: per-seed scores and their summaries on one split.</summary>
public sealed record SystemResult
{
    [JsonPropertyName("system")] public required string System { get; init; }
    [JsonPropertyName("split")] public string Split { get; init; } = "test";
    /// <summary>Mean over seeds of macro-F1 over the labels present in the split (the original's convention).</summary>
    [JsonPropertyName("macro_f1"), JsonRequired] public double MacroF1 { get; init; }
    /// <summary>Sample standard deviation (ddof = 1) over seeds; null with fewer than 2 seeds.</summary>
    [JsonPropertyName("macro_f1_std")] public double? MacroF1Std { get; init; }
    /// <summary>Macro-F1 of the argmax of the seed-averaged probabilities.</summary>
    [JsonPropertyName("macro_f1_bagged")] public double? MacroF1Bagged { get; init; }
    /// <summary>Macro-F1 of the seeds' majority vote (ties broken by summed probability).</summary>
    [JsonPropertyName("macro_f1_vote")] public double? MacroF1Vote { get; init; }
    /// <summary>Mean over seeds of macro-F1 over all K classes.</summary>
    [JsonPropertyName("macro_f1_all_labels")] public double? MacroF1AllLabels { get; init; }
    /// <summary>Binary tasks: mean over seeds of the F1 of class 1.</summary>
    [JsonPropertyName("f1_class_1")] public double? F1Class1 { get; init; }
    /// <summary>Multi-label tasks: mean over seeds of the micro-F1.</summary>
    [JsonPropertyName("micro_f1")] public double? MicroF1 { get; init; }
    /// <summary>Multi-label tasks: mean over seeds of each label's F1.</summary>
    [JsonPropertyName("per_label_f1")] public double[]? PerLabelF1 { get; init; }
    /// <summary>Mean over seeds of the accuracy (<see cref="SeedScore.Accuracy"/>: subset accuracy for multi-label tasks); null in older files.</summary>
    [JsonPropertyName("accuracy")] public double? Accuracy { get; init; }
    /// <summary>Accuracy of the argmax of the seed-averaged probabilities (multi-label: their decisions at 0.5).</summary>
    [JsonPropertyName("accuracy_bagged")] public double? AccuracyBagged { get; init; }
    [JsonPropertyName("per_seed")] public IReadOnlyList<SeedScore> PerSeed { get; init; } = [];
    /// <summary>Audio tokens added to the LM (null for systems without audio tokens).</summary>
    [JsonPropertyName("selected_tokens")] public int? SelectedTokens { get; init; }
    /// <summary>Wall-clock seconds the system took (its own steps, not shared ones).</summary>
    [JsonPropertyName("seconds")] public double? Seconds { get; init; }
    /// <summary>Confusion matrix of the bagged predictions: rows true class, columns predicted.</summary>
    [JsonPropertyName("confusion_matrix")] public int[][]? ConfusionMatrix { get; init; }

    /// <summary>System-specific settings and diagnostics (e.g. a baseline's chosen C and its grid).</summary>
    [JsonPropertyName("details")] public JsonObject? Details { get; init; }

    /// <summary>Summarises per-seed scores: mean and sample std of macro-F1, and the means of the other per-seed metrics when every seed has them.</summary>
    public static SystemResult FromSeeds(string system, IReadOnlyList<SeedScore> perSeed, string split = "test")
    {
        if (perSeed.Count == 0) throw new SpeechTokException($"results: system '{system}' has no seed scores");
        double mean = perSeed.Average(s => s.MacroF1);
        double? std = perSeed.Count < 2 ? null : Math.Sqrt(perSeed.Sum(s => (s.MacroF1 - mean) * (s.MacroF1 - mean)) / (perSeed.Count - 1));
        double? MeanOf(Func<SeedScore, double?> f) => perSeed.All(s => f(s).HasValue) ? perSeed.Average(s => f(s)!.Value) : null;
        return new SystemResult
        {
            System = system,
            Split = split,
            MacroF1 = mean,
            MacroF1Std = std,
            MacroF1AllLabels = MeanOf(s => s.MacroF1AllLabels),
            F1Class1 = MeanOf(s => s.F1Class1),
            MicroF1 = MeanOf(s => s.MicroF1),
            Accuracy = MeanOf(s => s.Accuracy),
            PerLabelF1 = perSeed.All(s => s.PerLabelF1 != null) && perSeed.Select(s => s.PerLabelF1!.Length).Distinct().Count() == 1
                ? Enumerable.Range(0, perSeed[0].PerLabelF1!.Length).Select(c => perSeed.Average(s => s.PerLabelF1![c])).ToArray()
                : null,
            PerSeed = perSeed,
        };
    }
}
