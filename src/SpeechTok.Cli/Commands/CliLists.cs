using System.Globalization;

namespace SpeechTok.Cli.Commands;

/// <summary>Comma-separated option values shared by several commands.</summary>
internal static class CliLists
{
    /// <summary><c>--seeds 42,100,6</c>; null when the option is absent.</summary>
    public static int[]? Seeds(string? text)
    {
        if (text == null) return null;
        try { return text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(t => int.Parse(t, CultureInfo.InvariantCulture)).ToArray(); }
        catch (Exception e) when (e is FormatException or OverflowException) { throw new SpeechTokException($"--seeds '{text}' must be comma-separated integers"); }
    }

    /// <summary>A list of positive C values (<c>--sweep-c</c>, <c>--grid</c>); empty when absent.</summary>
    public static double[] Cs(string? text) =>
        text == null ? [] : text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(t => double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v > 0 ? v
                : throw new SpeechTokException($"'{t}' is not a positive number (C list)")).ToArray();
}
