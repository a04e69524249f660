using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace SpeechTok.Cli.Commands;

/// <summary>
/// Checks of option values made while the command line is parsed, before a command runs: a refused value is one
/// error that names the option as the user typed it (an alias too) and says what it takes. Checks that need more than
/// the value (a code store, a model) stay with the commands and options records.
/// </summary>
internal static class OptionRules
{
    /// <summary>The option as the user typed it (e.g. <c>--num-classes</c> for finetune's <c>--num-labels</c>); its name when not given.</summary>
    public static string Given(OptionResult result) => result.IdentifierToken?.Value ?? result.Option.Name;

    /// <inheritdoc cref="Given(OptionResult)"/>
    public static string Given(ParseResult parsed, Option option) => parsed.GetResult(option) is { } r ? Given(r) : option.Name;

    /// <summary>Refuses an integer (<c>int</c> or <c>long</c>) below <paramref name="min"/>: "--seq-len 1: must be at least 2".</summary>
    public static TOption AtLeast<TOption>(this TOption option, int min) where TOption : Option
    {
        // From the token: a non-integer is the parser's own error (GetValueOrDefault would throw on it).
        option.Validators.Add(r =>
        {
            if (r.Tokens.Count > 0 && long.TryParse(r.Tokens[^1].Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out long n) && n < min)
                r.AddError($"{Given(r)} {n}: must be at least {min}");
        });
        return option;
    }

    /// <summary>Refuses a number outside (0, <paramref name="max"/>]: "--c 0: must be a positive number ≤ 1e12".</summary>
    public static Option<double> Positive(this Option<double> option, double max)
    {
        option.Validators.Add(r =>
        {
            if (r.Tokens.Count > 0 && double.TryParse(r.Tokens[^1].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && !(v > 0 && v <= max))
                r.AddError($"{Given(r)} {r.Tokens[^1].Value}: must be a positive number ≤ {(max < 1e6 ? max.ToString(CultureInfo.InvariantCulture) : max.ToString("0e0", CultureInfo.InvariantCulture))}");
        });
        return option;
    }

    /// <summary>An option that takes one of <paramref name="values"/> in any case (the value as listed is returned), listed in its help; another value is refused listing them.</summary>
    public static Option<string> OneOf(this Option<string> option, params string[] values)
    {
        option.HelpName = string.Join('|', values);
        option.CustomParser = r => Choice(r, values);
        return option;
    }

    /// <summary>An argument that takes one of <paramref name="values"/> in any case (the value as listed is returned), listed in its help; another value is refused listing them.</summary>
    public static Argument<string> OneOf(this Argument<string> argument, params string[] values)
    {
        argument.HelpName = string.Join('|', values);
        argument.CustomParser = r => Choice(r, values);
        return argument;
    }

    /// <summary>An enum option that takes the names of <typeparamref name="T"/> in any case (not its numbers, which .NET would accept); another value is refused listing them.</summary>
    public static Option<T> OneOf<T>(this Option<T> option) where T : struct, Enum
    {
        option.CustomParser = r => Choice(r, Enum.GetNames<T>()) is { } name ? Enum.Parse<T>(name) : default;
        return option;
    }

    /// <summary>The value among <paramref name="values"/> that <paramref name="token"/> names, exactly, else ignoring case
    /// (as every choice option, and list items such as <c>--systems</c>', read their values); null when none does.</summary>
    public static string? Match(string token, IReadOnlyList<string> values) =>
        values.FirstOrDefault(v => v == token) ?? values.FirstOrDefault(v => v.Equals(token, StringComparison.OrdinalIgnoreCase));

    /// <summary>The value among <paramref name="values"/> that the token names (<see cref="Match"/>), or null after adding the error.</summary>
    private static string? Choice(ArgumentResult r, string[] values)
    {
        string token = r.Tokens[^1].Value;
        if (Match(token, values) is { } value) return value;
        string given = r.Parent is OptionResult o ? Given(o) : r.Argument.Name;
        r.AddError($"{given} '{token}': expected {string.Join(", ", values[..^1])}{(values.Length > 1 ? " or " : "")}{values[^1]}");
        return null;
    }
}
