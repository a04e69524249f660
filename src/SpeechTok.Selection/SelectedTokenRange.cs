using System.Globalization;

namespace SpeechTok.Selection;

/// <summary>
/// How many selected audio tokens a C chosen from a sweep should keep (<see cref="CChoice"/>), given as a count and a
/// share of the audio token types that occur in train (the candidate audio vocabulary).
/// <para>A <b>target</b> (the default; <c>select --sweep-c</c> without the range options, and <c>experiment</c>): at least
/// <see cref="MinTokens"/>, at most max(<see cref="MinTokens"/>, round(<see cref="MaxTokenShare"/> × types)); when no C
/// of the sweep falls inside, the C closest to the range is taken. The defaults keep about 1 %, the paper's share (73–80
/// of 8192). On the demo, 181 tokens (3 %) gave the LM so many tokens a clip that some seeds fitted the train split
/// through them and never learned the words (docs/experiments.md).</para>
/// <para>A <b>constraint</b> (<see cref="Required"/>; <c>select --min-tokens N --max-token-share F</c>): at least N and
/// at most floor(F × types); a sweep with no C inside is an error listing each C's count.</para>
/// </summary>
/// <param name="MinTokens">Fewest selected audio tokens, at least 1.</param>
/// <param name="MaxTokenShare">Most selected audio tokens as a share of the audio token types occurring in train, in (0, 1].</param>
public sealed record SelectedTokenRange(int MinTokens = SelectedTokenRange.DefaultMinTokens, double MaxTokenShare = SelectedTokenRange.DefaultMaxTokenShare)
{
    public const int DefaultMinTokens = 16;
    public const double DefaultMaxTokenShare = 0.01;
    /// <summary>The options of <c>speechtok select</c> that make a constraint.</summary>
    public const string MinTokensOption = "--min-tokens", MaxTokenShareOption = "--max-token-share";

    /// <summary>A constraint (no C inside the range is an error) rather than a target (the C closest to it is taken).</summary>
    public bool Required { get; init; }

    /// <summary>How messages name <see cref="MinTokens"/> when it was set: the option as given, or the preset's field; null: not set (its default).</summary>
    public string? MinTokensName { get; init; }

    /// <summary>How messages name <see cref="MaxTokenShare"/> when it was set: the option as given, or the preset's field; null: not set (its default).</summary>
    public string? MaxTokenShareName { get; init; }

    /// <summary>
    /// A constraint from <c>select</c>'s options, named as the user gave them; an option not given leaves its side open
    /// (at least 1 token, at most every type).
    /// </summary>
    public static SelectedTokenRange Constraint(int? minTokens, double? maxTokenShare) =>
        new(minTokens ?? 1, maxTokenShare ?? 1.0)
        {
            Required = true,
            MinTokensName = minTokens == null ? null : MinTokensOption,
            MaxTokenShareName = maxTokenShare == null ? null : MaxTokenShareOption,
        };

    /// <summary>
    /// Refuses values out of range (<see cref="MinTokens"/> below 1, <see cref="MaxTokenShare"/> outside (0, 1]) and a
    /// range that cannot apply: with a C given (<paramref name="cGiven"/>: nothing to choose), without a sweep
    /// (<paramref name="sweepCount"/> 0) and with the random ablation (<paramref name="random"/>: no L1 model). Each error
    /// names the setting as given.
    /// </summary>
    /// <exception cref="SpeechTokException">One of the above.</exception>
    public void Validate(bool cGiven, int sweepCount, bool random)
    {
        if (MinTokens < 1) throw new SpeechTokException($"{MinTokensName ?? "min tokens"} {MinTokens}: must be at least 1");
        if (!(MaxTokenShare > 0 && MaxTokenShare <= 1))
            throw new SpeechTokException($"{MaxTokenShareName ?? "max token share"} {Format(MaxTokenShare)}: must be in (0, 1], a share of the audio token types that occur in train (0.025 = 2.5 %)");
        if (!Required || Named is not { } named)
        {
            if (random || cGiven || sweepCount == 0) throw new SpeechTokException("choosing C needs a sweep of C values and the L1 model (not the random ablation)");
            return;
        }
        // a constraint from select's options: it only ever applies to the C a sweep of the L1 model chooses
        if (random) throw new SpeechTokException($"{named}: for the C that --sweep-c chooses for the L1 model; --random K draws without one: drop {named}");
        if (cGiven) throw new SpeechTokException($"{named}: for the C that --sweep-c chooses; --c fixes C: drop --c or {named}");
        if (sweepCount == 0) throw new SpeechTokException($"{named}: for the C that --sweep-c chooses, and there is no sweep: give --sweep-c C1,C2,… or drop {named}");
    }

    /// <summary>Refuses a constraint (<see cref="Required"/>) whose range is empty on <paramref name="occurring"/> audio token
    /// types in train: at least N and at most floor(F × types) with N above that.</summary>
    /// <exception cref="SpeechTokException">The range is empty, naming the settings.</exception>
    public void RequireNonEmpty(int occurring)
    {
        var (min, max) = For(occurring);
        if (Required && min > max)
            throw new SpeechTokException($"{Settings(occurring) ?? "the selected-token range"}: at least {min} and at most {max} selected audio tokens is an empty range; lower the first or raise the second");
    }

    /// <summary>The settings that were given, as messages name them ("--min-tokens and --max-token-share"); null when none was.</summary>
    public string? Named => (MinTokensName, MaxTokenShareName) switch
    {
        (null, null) => null,
        ({ } a, null) => a,
        (null, { } b) => b,
        ({ } a, { } b) => $"{a} and {b}",
    };

    /// <summary>The accepted range of selected audio tokens for <paramref name="occurring"/> audio token types in train (Min may exceed Max for a constraint).</summary>
    public (int Min, int Max) For(int occurring) => Required
        ? (MinTokens, (int)Math.Floor((decimal)MaxTokenShare * occurring)) // decimal: 0.29 × 100 is 29, not 28.999…
        : (MinTokens, Math.Max(MinTokens, (int)Math.Round(MaxTokenShare * occurring)));

    /// <summary>The range in words, for settings tables, reports and help texts.</summary>
    public string Text => Required
        ? $"{MinTokens} … {Percent(MaxTokenShare)} of the audio token types occurring in train"
        : $"{MinTokens} … max({MinTokens}, {Percent(MaxTokenShare)} of the audio token types occurring in train)";

    /// <summary>The given settings with their values and, for the share, what it allows on <paramref name="occurring"/> types:
    /// "--min-tokens 20, --max-token-share 0.025 = 2.5 % of the 6300 audio token types occurring in train"; null when none was given.</summary>
    public string? Settings(int occurring)
    {
        var parts = new List<string>();
        if (MinTokensName != null) parts.Add($"{MinTokensName} {MinTokens}");
        if (MaxTokenShareName != null) parts.Add($"{MaxTokenShareName} {Format(MaxTokenShare)} = {Percent(MaxTokenShare)} of the {occurring} audio token types occurring in train");
        return parts.Count == 0 ? null : string.Join(", ", parts);
    }

    /// <summary>A share as a percentage with the digits it has: 0.01 → "1 %", 0.025 → "2.5 %", 0.0125 → "1.25 %".</summary>
    public static string Percent(double share) => $"{(share * 100).ToString("0.####", CultureInfo.InvariantCulture)} %";

    private static string Format(double x) => x.ToString("G", CultureInfo.InvariantCulture);
}
