using SpeechTok.Selection;
using SpeechTok.Tests.Training;

namespace SpeechTok.Tests.Selection;

/// <summary>
/// <c>select --min-tokens N --max-token-share F</c>: a constraint on the C the sweep chooses (<see cref="SelectedTokenRange"/>),
/// refused where it cannot apply, recorded in selection.json's typed <c>c_choice</c>.
/// </summary>
public sealed class SelectedTokenRangeTests
{
    private static readonly CSweepPoint[] Sweep =
        [new(0.001, 0.4, 0), new(0.01, 0.6, 12), new(0.1, 0.8, 150), new(1, 0.9, 900)];

    [Fact]
    public void A_constraint_picks_the_best_inner_f1_inside_it_and_no_c_inside_is_an_error_listing_the_counts()
    {
        var range = SelectedTokenRange.Constraint(10, 0.025); // 10 … 200 of 8000 types
        Assert.Equal((10, 200), range.For(8000));
        Assert.Equal(0.1, CChoice.Choose(Sweep, range, 8000));
        // A target takes the closest C when none is inside; the constraint refuses.
        Assert.Equal(0.1, CChoice.Choose(Sweep, new SelectedTokenRange(200, 0.05), 8000));
        var e = Assert.Throws<SpeechTokException>(() => CChoice.Choose(Sweep, SelectedTokenRange.Constraint(200, 0.05), 8000));
        Assert.Equal("--min-tokens 200, --max-token-share 0.05 = 5 % of the 8000 audio token types occurring in train: no C of the sweep keeps 200–400 audio tokens; " +
            "selected audio tokens per C: 0.001 → 0, 0.01 → 12, 0.1 → 150, 1 → 900", e.Message);
        Assert.Equal("--min-tokens 300, --max-token-share 0.025 = 2.5 % of the 8000 audio token types occurring in train: at least 300 and at most 200 selected audio tokens " +
            "is an empty range; lower the first or raise the second", Assert.Throws<SpeechTokException>(() => CChoice.Choose(Sweep, SelectedTokenRange.Constraint(300, 0.025), 8000)).Message);
        // One option alone leaves the other side open.
        Assert.Equal((1, 200), SelectedTokenRange.Constraint(null, 0.025).For(8000));
        Assert.Equal((100, 8000), SelectedTokenRange.Constraint(100, null).For(8000));
        Assert.Equal(1, CChoice.Choose(Sweep, SelectedTokenRange.Constraint(500, null), 8000));
        Assert.Equal((1, 29), SelectedTokenRange.Constraint(null, 0.29).For(100)); // at most F × types, not 28 from 0.29 × 100 = 28.999…
    }

    [Fact]
    public void The_share_is_printed_with_its_digits_and_recorded_typed()
    {
        Assert.Equal("2.5 %", SelectedTokenRange.Percent(0.025));
        Assert.Equal("1 %", SelectedTokenRange.Percent(0.01));
        Assert.Equal("16 … max(16, 1 % of the audio token types occurring in train)", new SelectedTokenRange().Text); // an experiment folder's identity: unchanged
        Assert.Equal("10 … 2.5 % of the audio token types occurring in train", SelectedTokenRange.Constraint(10, 0.025).Text);
        Assert.Equal(new SelectionFile.CChoiceRule
        {
            Rule = "best inner-split F1 among C with 10–200 selected tokens (--min-tokens 10, --max-token-share 0.025 = 2.5 % of the 8000 audio token types occurring in train)",
            MinTokens = 10, MaxTokenShare = 0.025, MinSelected = 10, MaxSelected = 200, Required = true,
        }, CChoice.Describe(SelectedTokenRange.Constraint(10, 0.025), 8000));
    }

    [Fact]
    public void Out_of_range_values_and_a_range_that_cannot_apply_are_one_error_naming_the_setting()
    {
        foreach (var (range, cGiven, sweep, random, message) in new (SelectedTokenRange, bool, int, bool, string)[]
        {
            (SelectedTokenRange.Constraint(0, null), false, 3, false, "--min-tokens 0: must be at least 1"),
            (SelectedTokenRange.Constraint(null, 1.5), false, 3, false, "--max-token-share 1.5: must be in (0, 1], a share of the audio token types that occur in train (0.025 = 2.5 %)"),
            (SelectedTokenRange.Constraint(null, 0), false, 3, false, "--max-token-share 0: must be in (0, 1], a share of the audio token types that occur in train (0.025 = 2.5 %)"),
            (SelectedTokenRange.Constraint(5, null), true, 3, false, "--min-tokens: for the C that --sweep-c chooses; --c fixes C: drop --c or --min-tokens"),
            (SelectedTokenRange.Constraint(5, 0.1), false, 0, false, "--min-tokens and --max-token-share: for the C that --sweep-c chooses, and there is no sweep: give --sweep-c C1,C2,… or drop --min-tokens and --max-token-share"),
            (SelectedTokenRange.Constraint(null, 0.1), false, 3, true, "--max-token-share: for the C that --sweep-c chooses for the L1 model; --random K draws without one: drop --max-token-share"),
            (new SelectedTokenRange(0, 0.01) { MinTokensName = "preset 'tiny' min tokens" }, false, 3, false, "preset 'tiny' min tokens 0: must be at least 1"),
            (new SelectedTokenRange(), false, 0, false, "choosing C needs a sweep of C values and the L1 model (not the random ablation)"),
        })
            Assert.Equal(message, Assert.Throws<SpeechTokException>(() => range.Validate(cGiven, sweep, random)).Message);
        SelectedTokenRange.Constraint(5, 0.1).Validate(false, 3, false);
    }

    [Fact]
    public void An_old_selection_file_whose_c_choice_is_text_is_read()
    {
        string path = Path.Combine(Directory.CreateTempSubdirectory("selection-old-").FullName, "selection.json");
        try
        {
            File.WriteAllText(path, """
                {"format": "speechtok-selection", "version": 1, "layers": [1], "selected_features": [3], "C": 0.1,
                 "c_choice": "best inner-split F1 among C with 16–63 selected tokens (else the C closest to that range)"}
                """);
            Assert.Equal(new SelectionFile.CChoiceRule { Rule = "best inner-split F1 among C with 16–63 selected tokens (else the C closest to that range)" },
                SelectionFile.Load(path).CChoice);
        }
        finally { Directory.Delete(Path.GetDirectoryName(path)!, true); }
    }

    /// <summary>An L1 fit that stopped at its iteration cap above the KKT tolerance was written as if solved, without a word.</summary>
    [Fact]
    public void Select_warns_when_the_l1_fit_did_not_converge()
    {
        using var d = new ToyData();
        string path = Path.Combine(d.Dir, "s.json");
        string[] Args(params string[] more) => ["select", "--manifest", d.Manifest, "--codes", d.Codes, "--layers", "1-2", "--out", path, .. more];
        var (code, _, err) = CliRunner.Run(Args("--c", "10"));
        Assert.True(code == 0, err);
        Assert.True(SelectionFile.Load(path).Solver!.Converged);
        Assert.DoesNotContain("ConvergenceWarning", err);
        (code, _, err) = CliRunner.Run(Args("--c", "10", "--tol", "1e-300")); // a tolerance no fit reaches
        Assert.True(code == 0, err);
        Assert.False(SelectionFile.Load(path).Solver!.Converged);
        Assert.Contains("warning: the L1 fit at C = 10 stopped after", err);
        Assert.Contains("sklearn would raise a ConvergenceWarning", err);
    }

    /// <summary>The same for baseline's L2 fits: separable words at C = 1e12 (the largest the solver takes) run to the iteration cap.</summary>
    [Fact]
    public void Baseline_warns_when_an_l2_fit_did_not_converge()
    {
        using var d = new ToyData();
        var warnings = new List<string>();
        Baselines.Run("bow", d.Parsed(), [1e12], warn: warnings.Add);
        Assert.Contains(warnings, w => w.StartsWith("warning: the L2 fit at C = 1E+12 stopped after", StringComparison.Ordinal) && w.Contains("ConvergenceWarning"));
        warnings.Clear();
        Baselines.Run("bow", d.Parsed(), [1.0], warn: warnings.Add);
        Assert.Empty(warnings);
    }

    [Fact]
    public void Select_chooses_c_inside_the_given_range_or_fails_listing_each_c()
    {
        using var d = new ToyData();
        string path = Path.Combine(d.Dir, "s.json");
        string[] Args(params string[] more) => ["select", "--manifest", d.Manifest, "--codes", d.Codes, "--layers", "1-2", "--out", path, .. more];
        var (code, _, err) = CliRunner.Run(Args("--sweep-c", "0.001,1,10"));
        Assert.True(code == 0, err);
        var sweep = SelectionFile.Load(path).Sweep!;
        int most = sweep.Max(p => p.SelectedAudio), occurring = SelectionFile.Load(path).Counts!.OccurringAudioColumns!.Value;

        (code, var stdout, err) = CliRunner.Run(Args("--sweep-c", "0.001,1,10", "--min-tokens", $"{most}", "--max-token-share", "1"));
        Assert.True(code == 0, err);
        var doc = SelectionFile.Load(path);
        Assert.Equal(most, doc.SelectedFeatures.Length);
        Assert.Equal(new SelectionFile.CChoiceRule
        {
            Rule = $"best inner-split F1 among C with {most}–{occurring} selected tokens (--min-tokens {most}, --max-token-share 1 = 100 % of the {occurring} audio token types occurring in train)",
            MinTokens = most, MaxTokenShare = 1, MinSelected = most, MaxSelected = occurring, Required = true,
        }, doc.CChoice);
        Assert.Contains($"C = {doc.C} chosen from the sweep: {doc.CChoice!.Rule}", stdout);

        File.Delete(path);
        (code, _, err) = CliRunner.Run(Args("--sweep-c", "0.001", "--min-tokens", "1"));
        Assert.Equal(2, code);
        Assert.Equal("error: --min-tokens 1: no C of the sweep keeps 1–" + occurring + " audio tokens; selected audio tokens per C: 0.001 → 0", err.Trim());
        foreach (var (args, message) in new[]
        {
            (Args("--sweep-c", "0.001,1", "--c", "1", "--min-tokens", "2"), "--min-tokens: for the C that --sweep-c chooses; --c fixes C: drop --c or --min-tokens"),
            (Args("--max-token-share", "0.5"), "--max-token-share: for the C that --sweep-c chooses, and there is no sweep: give --sweep-c C1,C2,… or drop --max-token-share"),
            (Args("--random", "3", "--min-tokens", "2"), "--min-tokens: for the C that --sweep-c chooses for the L1 model; --random K draws without one: drop --min-tokens"),
            (Args("--sweep-c", "0.001,1", "--max-token-share", "2"), "--max-token-share 2: must be in (0, 1], a share of the audio token types that occur in train (0.025 = 2.5 %)"),
        })
        {
            (code, _, err) = CliRunner.Run(args);
            Assert.Equal(2, code);
            Assert.Equal($"error: {message}", err.Trim());
        }
        Assert.False(File.Exists(path));
    }
}
