using System.Text.Json;
using System.Text.Json.Serialization;
using SpeechTok.Codec;
using SpeechTok.IO;

namespace SpeechTok.Selection;

/// <summary>
/// selection.json, written by <c>speechtok select</c> (<see cref="SelectionRunner"/>) and read by pre-training,
/// fine-tuning and the experiment report: the selected audio features and their layout, plus how they were chosen
/// (mode, C, counts, solver, inner-split scores, C sweep). Only <see cref="SelectedFeatures"/> and
/// <see cref="Layers"/> are required; files without <c>codebook_size</c> use
/// <see cref="AudioFeatureLayout.DefaultCodebookSize"/>, the stride every version-1 writer used.
/// </summary>
public sealed record SelectionFile : IArtifact
{
    public const string FileName = "selection.json";
    public static readonly ArtifactKind Kind = new("selection", "speechtok-selection", Version: 1, VersionField: "version");
    public const string ModelMode = "model", RandomMode = "random";

    [JsonPropertyName("manifest")] public string? Manifest { get; init; }
    /// <summary>Identity of the speech tokenizer whose codes the features were selected from (absent without a code store).</summary>
    [JsonPropertyName("codes_tokenizer")] public string? CodesTokenizer { get; init; }
    /// <summary>"binary", "multiclass" or "multilabel".</summary>
    [JsonPropertyName("task")] public string? Task { get; init; }
    [JsonPropertyName("num_classes")] public int? NumClasses { get; init; }
    /// <summary>The manifest's class names (its label-names sidecar), when it has them.</summary>
    [JsonPropertyName("label_names")] public IReadOnlyList<string>? LabelNames { get; init; }
    /// <summary>1-based RVQ layer numbers, ascending.</summary>
    [JsonPropertyName(SelectedAudioTokens.LayersField)] public required int[] Layers { get; init; }
    [JsonPropertyName(SelectedAudioTokens.CodebookSizeField)] public int CodebookSize { get; init; } = AudioFeatureLayout.DefaultCodebookSize;
    /// <summary><see cref="ModelMode"/> (L1 logistic regression) or <see cref="RandomMode"/> (the ablation).</summary>
    [JsonPropertyName("mode")] public string? Mode { get; init; }
    /// <summary>Seed of the random ablation.</summary>
    [JsonPropertyName("seed")] public ulong? Seed { get; init; }
    [JsonPropertyName("use_bow")] public bool? UseBow { get; init; }
    [JsonPropertyName("C")] public double? C { get; init; }
    /// <summary>Multi-label tasks: one L1 model a label, the selection is the union of theirs (see <see cref="PerLabel"/>).</summary>
    [JsonPropertyName("one_vs_rest")] public bool? OneVsRest { get; init; }
    /// <summary>Ascending feature ids (see <see cref="AudioFeatureLayout"/>); the k-th is <c>&lt;audio_token_k&gt;</c>.</summary>
    [JsonPropertyName(SelectedAudioTokens.FeaturesField)] public required int[] SelectedFeatures { get; init; }
    /// <summary>The token names, <c>&lt;audio_token_0&gt;</c>… (informative).</summary>
    [JsonPropertyName("tokens")] public string[]? Tokens { get; init; }
    [JsonPropertyName("counts")] public SelectionCounts? Counts { get; init; }
    /// <summary>The mean importance the selected columns reach.</summary>
    [JsonPropertyName("threshold")] public double? Threshold { get; init; }
    [JsonPropertyName("solver")] public SolverReport? Solver { get; init; }
    [JsonPropertyName("inner_split")] public InnerSplitScore? InnerSplit { get; init; }
    [JsonPropertyName("sweep")] public IReadOnlyList<SweepPoint>? Sweep { get; init; }
    /// <summary>Folds of the stratified k-fold that scored the sweep (<see cref="SelectOptions.CvFolds"/>; its points' <c>cv_*</c> F1); absent when the inner split alone scored it.</summary>
    [JsonPropertyName("cv_folds")] public int? CvFolds { get; init; }
    /// <summary>Multi-label tasks: what each label's model keeps at the chosen C.</summary>
    [JsonPropertyName("per_label")] public IReadOnlyList<LabelSelection>? PerLabel { get; init; }

    /// <summary>
    /// A warning when the L1 fit behind the selection (or a label's, for multi-label tasks) stopped before its KKT
    /// tolerance, as sklearn's ConvergenceWarning; null when every fit converged (or the selection is random).
    /// </summary>
    [JsonIgnore] public string? ConvergenceWarning
    {
        get
        {
            if (Solver is { Converged: false } s)
                return $"warning: the L1 fit at C = {C:G4} stopped after {s.OuterIterations} iterations with KKT residual {s.KktResidual:G3} above its tolerance {s.Tolerance:G3} "
                    + "(sklearn would raise a ConvergenceWarning): the selected tokens may not be the optimum's (a smaller C converges sooner)";
            var bad = PerLabel?.Where(l => !l.Converged).ToList();
            return bad is { Count: > 0 }
                ? $"warning: the L1 fits of {bad.Count} label(s) at C = {C:G4} stopped before their KKT tolerance (largest residual {bad.Max(l => l.KktResidual):G3}; "
                    + "sklearn would raise a ConvergenceWarning): the selected tokens may not be the optimum's"
                : null;
        }
    }
    /// <summary>How C was chosen from the sweep (<see cref="Selection.CChoice"/>; the experiment runner, <c>select --sweep-c</c> without <c>--c</c>); absent when C was given.</summary>
    [JsonPropertyName("c_choice"), JsonConverter(typeof(CChoiceRule.Converter))] public CChoiceRule? CChoice { get; init; }

    /// <summary>The layout of <see cref="SelectedFeatures"/>.</summary>
    [JsonIgnore] public AudioFeatureLayout Layout => AudioFeatureLayout.FromLayerNumbers(Layers, CodebookSize);

    public static SelectionFile Load(string path) => ArtifactJson.Load<SelectionFile>(path, Kind);

    public void Save(string path) => ArtifactJson.Save(path, this, Kind);

    /// <summary>Loads <paramref name="path"/> and returns what a language model needs from it (an empty selection is an error).</summary>
    public static SelectedAudioTokens LoadTokens(string path)
    {
        path = System.IO.Path.GetFullPath(path);
        var s = Load(path);
        var tokens = new SelectedAudioTokens { Path = path, Features = s.SelectedFeatures, Layers = s.Layers, CodebookSize = s.CodebookSize, CodesTokenizer = s.CodesTokenizer };
        tokens.Validate(path);
        return tokens;
    }

    /// <summary>Layers and codebook size form a layout and the features lie in it (empty is allowed: <c>select</c> writes what the fit kept).</summary>
    public void Validate(string source)
    {
        try { Layout.CheckSelection(SelectedFeatures); }
        catch (SpeechTokException e) { throw new SpeechTokException($"{source}: {e.Message}", e); }
        if (Tokens != null && Tokens.Length != SelectedFeatures.Length)
            throw new SpeechTokException($"{source}: {Tokens.Length} token names for {SelectedFeatures.Length} selected features");
    }

    /// <summary>Column counts of the selection problem and of its outcome.</summary>
    public sealed record SelectionCounts
    {
        [JsonPropertyName("train_samples")] public int? TrainSamples { get; init; }
        [JsonPropertyName("inner_train")] public int? InnerTrain { get; init; }
        [JsonPropertyName("inner_test")] public int? InnerTest { get; init; }
        /// <summary>Layers × codebook size.</summary>
        [JsonPropertyName("audio_columns")] public int AudioColumns { get; init; }
        /// <summary>Audio features that occur in the train split.</summary>
        [JsonPropertyName("occurring_audio_columns")] public int? OccurringAudioColumns { get; init; }
        /// <summary>Random ablation: the number of features it drew from.</summary>
        [JsonPropertyName("drawn_from")] public int? DrawnFrom { get; init; }
        [JsonPropertyName("text_columns")] public int? TextColumns { get; init; }
        [JsonPropertyName("nonzero_coefficients")] public int? NonzeroCoefficients { get; init; }
        [JsonPropertyName("selected_columns")] public int? SelectedColumns { get; init; }
        [JsonPropertyName("selected_audio")] public int SelectedAudio { get; init; }
        [JsonPropertyName("selected_text")] public int? SelectedText { get; init; }
    }

    /// <summary>The L1 fit's solver state at the chosen C.</summary>
    public sealed record SolverReport
    {
        [JsonPropertyName("method")] public required string Method { get; init; }
        [JsonPropertyName("objective")] public double Objective { get; init; }
        [JsonPropertyName("kkt_residual")] public double KktResidual { get; init; }
        [JsonPropertyName("tolerance")] public double Tolerance { get; init; }
        [JsonPropertyName("converged")] public bool Converged { get; init; }
        [JsonPropertyName("outer_iterations")] public int OuterIterations { get; init; }
    }

    /// <summary>Scores of the fit on the inner test split (80/20 of train, or a split file).</summary>
    public sealed record InnerSplitScore
    {
        [JsonPropertyName("source")] public required string Source { get; init; }
        [JsonPropertyName("macro_f1")] public double MacroF1 { get; init; }
        /// <summary>Binary tasks only.</summary>
        [JsonPropertyName("f1_class_1")] public double? F1Class1 { get; init; }
        /// <summary>Multi-label tasks only.</summary>
        [JsonPropertyName("micro_f1")] public double? MicroF1 { get; init; }
    }

    /// <summary>One C of the sweep: what it selects and how the inner split (and the cross-validation, when asked) scores it.</summary>
    public sealed record SweepPoint
    {
        [JsonPropertyName("C")] public double C { get; init; }
        [JsonPropertyName("all_zero")] public bool AllZero { get; init; }
        [JsonPropertyName("selected_audio")] public int SelectedAudio { get; init; }
        [JsonPropertyName("selected_text")] public int SelectedText { get; init; }
        [JsonPropertyName("nonzero_coefficients")] public int NonzeroCoefficients { get; init; }
        [JsonPropertyName("inner_macro_f1")] public double InnerMacroF1 { get; init; }
        /// <summary>Binary tasks only.</summary>
        [JsonPropertyName("inner_f1_class_1")] public double? InnerF1Class1 { get; init; }
        /// <summary>Multi-label tasks only.</summary>
        [JsonPropertyName("inner_micro_f1")] public double? InnerMicroF1 { get; init; }
        /// <summary>Mean macro-F1 over the folds of <see cref="SelectionFile.CvFolds"/> (multi-label: over labels); absent without cross-validation.</summary>
        [JsonPropertyName("cv_macro_f1")] public double? CvMacroF1 { get; init; }
        /// <summary>Binary tasks with cross-validation only: mean F1 of class 1 over the folds.</summary>
        [JsonPropertyName("cv_f1_class_1")] public double? CvF1Class1 { get; init; }
        [JsonPropertyName("objective")] public double Objective { get; init; }
        [JsonPropertyName("kkt_residual")] public double KktResidual { get; init; }
    }

    /// <summary>
    /// How C was chosen from the sweep: the rule in words and the range of selected audio tokens
    /// (<see cref="SelectedTokenRange"/>). Files written before it was an object hold the rule's text alone, read as
    /// <see cref="Rule"/> with the other fields absent.
    /// </summary>
    public sealed record CChoiceRule
    {
        /// <summary>E.g. "best inner-split F1 among C with 16–63 selected tokens (else the C closest to that range)".</summary>
        [JsonPropertyName("rule")] public required string Rule { get; init; }
        /// <summary>The range's fewest tokens (<c>--min-tokens</c>, or the target's).</summary>
        [JsonPropertyName("min_tokens")] public int? MinTokens { get; init; }
        /// <summary>The range's most tokens as a share of the audio token types occurring in train (<c>--max-token-share</c>, or the target's).</summary>
        [JsonPropertyName("max_token_share")] public double? MaxTokenShare { get; init; }
        /// <summary>The range in tokens for this train split: <see cref="MinSelected"/>–<see cref="MaxSelected"/> selected audio tokens.</summary>
        [JsonPropertyName("min_selected")] public int? MinSelected { get; init; }
        /// <summary>See <see cref="MinSelected"/>.</summary>
        [JsonPropertyName("max_selected")] public int? MaxSelected { get; init; }
        /// <summary>A constraint (<c>select --min-tokens/--max-token-share</c>: no C inside is an error) rather than a target (the C closest to it is taken); absent in old files.</summary>
        [JsonPropertyName("required")] public bool? Required { get; init; }

        /// <summary>Reads the object, or an old file's string as <see cref="Rule"/>; writes the object.</summary>
        internal sealed class Converter : JsonConverter<CChoiceRule>
        {
            public override CChoiceRule? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
                reader.TokenType == JsonTokenType.String ? new CChoiceRule { Rule = reader.GetString()! } : JsonSerializer.Deserialize<CChoiceRule>(ref reader, options);

            public override void Write(Utf8JsonWriter writer, CChoiceRule value, JsonSerializerOptions options) => JsonSerializer.Serialize(writer, value, options);
        }
    }

    /// <summary>One label of a one-vs-rest selection: its model's fit and the audio features it keeps (none when all its coefficients are zero).</summary>
    public sealed record LabelSelection
    {
        [JsonPropertyName("label")] public int Label { get; init; }
        [JsonPropertyName("name")] public string? Name { get; init; }
        [JsonPropertyName("all_zero")] public bool AllZero { get; init; }
        [JsonPropertyName("nonzero_coefficients")] public int NonzeroCoefficients { get; init; }
        [JsonPropertyName("threshold")] public double Threshold { get; init; }
        [JsonPropertyName("selected_audio")] public required int[] SelectedAudio { get; init; }
        [JsonPropertyName("selected_text")] public int SelectedText { get; init; }
        /// <summary>The label's F1 on the inner test split.</summary>
        [JsonPropertyName("inner_f1")] public double InnerF1 { get; init; }
        [JsonPropertyName("objective")] public double Objective { get; init; }
        [JsonPropertyName("kkt_residual")] public double KktResidual { get; init; }
        [JsonPropertyName("converged")] public bool Converged { get; init; }
    }
}
