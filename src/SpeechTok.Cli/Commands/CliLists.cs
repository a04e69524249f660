using System.CommandLine;
using System.Globalization;
using SpeechTok.Lm.Serialization;
using SpeechTok.Selection;

namespace SpeechTok.Cli.Commands;

/// <summary>Comma-separated option values shared by several commands.</summary>
internal static class CliLists
{
    /// <summary><c>--metric-for-best-model</c> of finetune, experiment and demo (FinetuneOptions.MetricForBestModel); null when absent.</summary>
    public static System.CommandLine.Option<string?> MetricForBestModelOption() => new("--metric-for-best-model")
    {
        Description = "Fine-tuning's val metric for the best epoch and early stopping: macro_f1 or f1_class_1, with or without HF's eval_ prefix (default: f1_class_1 for binary tasks, as the method's AFD; macro_f1 otherwise).",
        CustomParser = r => r.Tokens.Count == 0 ? null : MetricName(r.Tokens[0].Value),
    };

    /// <summary>
    /// A model-selection metric as HF Trainer takes <c>metric_for_best_model</c>, with or without <c>eval_</c>: the known
    /// names lose the prefix; anything else is returned as typed, for the error to name it.
    /// </summary>
    public static string MetricName(string text) =>
        text.StartsWith("eval_", StringComparison.Ordinal) && text["eval_".Length..] is
            SpeechTok.Evaluation.ClassificationMetrics.MacroF1Metric or SpeechTok.Evaluation.ClassificationMetrics.F1Class1Metric
            ? text["eval_".Length..] : text;

    /// <summary><c>--seeds 42,100,6</c>; null when the option is absent. Their range is the options records' to check (non-negative, distinct).</summary>
    public static int[]? Seeds(string? text) =>
        text == null ? null : CommaList.Split("--seeds", text, "comma-separated integers, e.g. 42,100")
            .Select(t => int.TryParse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int s) ? s
                : throw new SpeechTokException(System.Numerics.BigInteger.TryParse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _)
                    ? $"--seeds '{text}': {t} is out of range; seeds are integers from 0 to {int.MaxValue}"
                    : $"--seeds '{text}': '{t}' is not an integer")).ToArray();

    /// <summary>
    /// <c>--lora-target-modules q_proj,v_proj</c> or <c>all-linear</c> (any case, as PEFT compares it): projection names,
    /// each checked (case-sensitive, as module names are).
    /// </summary>
    public static string[] LoraTargets(string text)
    {
        if (IsAllLinear(text.Trim())) return SpeechTok.Lm.Model.LoraAdapters.LayerProjections;
        var names = CommaList.Split("--lora-target-modules", text, "projection names or all-linear");
        if (names.Any(IsAllLinear)) throw new SpeechTokException("--lora-target-modules: all-linear already names every projection; give it alone");
        if (names.GroupBy(n => n).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new SpeechTokException($"--lora-target-modules: {twice.Key} is listed twice");
        foreach (var n in names)
            if (!SpeechTok.Lm.Model.LoraAdapters.LayerProjections.Contains(n))
                throw new SpeechTokException($"--lora-target-modules: '{n}' is not one of {string.Join(", ", SpeechTok.Lm.Model.LoraAdapters.LayerProjections)} (or all-linear)");
        return names;
    }

    static bool IsAllLinear(string name) => string.Equals(name, "all-linear", StringComparison.OrdinalIgnoreCase);

    /// <summary>A list of C values (<c>--sweep-c</c>, <c>--grid</c>), each in (0, 1e12] as the L1/L2 solver takes them; empty when absent.</summary>
    public static double[] Cs(string option, string? text)
    {
        if (text == null) return [];
        var cs = CommaList.Split(option, text, "comma-separated C values, e.g. 0.01,0.03,0.1")
            .Select(t => double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v > 0 && v <= LogisticRegression.MaxC ? v
                : throw new SpeechTokException($"{option} '{text}': '{t}' is not a positive number ≤ {LogisticRegression.MaxC:0e0}")).ToArray();
        var twice = cs.GroupBy(c => c).FirstOrDefault(g => g.Count() > 1);
        if (twice != null) throw new SpeechTokException($"{option} '{text}': C = {twice.Key.ToString("G6", CultureInfo.InvariantCulture)} is listed twice; list distinct values");
        return cs;
    }

    /// <summary><c>--serialization</c> of pretrain and finetune (text only and one audio vector have their own options).</summary>
    public static Option<string> SerializationOption() => new Option<string>("--serialization")
    {
        Description = "How a sample's text and audio tokens become the model's input: compact (the markers and audio token ids placed directly, " +
            "the text tokenized on its own) or reference (the original implementation's text line, tokenized whole: each audio token costs a space token too).",
        DefaultValueFactory = _ => SampleSerializer.ModeName(SampleSerializer.DefaultMode),
    }.OneOf(SampleSerializer.ModeName(SerializationMode.Compact), SampleSerializer.ModeName(SerializationMode.Reference));

    /// <summary><c>--max-length</c> of pretrain and finetune.</summary>
    public static Option<int> MaxLengthOption() => new(SampleSerializer.MaxLengthOption)
    {
        Description = "Tokens per sample, BOS included; longer samples are cut on the right (HF max_length).",
        DefaultValueFactory = _ => SampleSerializer.DefaultMaxLength,
    };

    /// <summary>A <c>--threads</c> option (default: every core); 0 or a negative count is refused when parsed.</summary>
    public static Option<int> Threads(string description) =>
        new Option<int>("--threads") { Description = description, DefaultValueFactory = _ => Environment.ProcessorCount }.AtLeast(1);
}
