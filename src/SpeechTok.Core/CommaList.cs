namespace SpeechTok;

/// <summary>Comma-separated option values (<c>--seeds 42,100</c>, <c>--layers 1,3,5-8</c>, <c>--sweep-c …</c>), split one way everywhere.</summary>
public static class CommaList
{
    /// <summary>
    /// The trimmed items of <paramref name="text"/>. An empty value and an empty item ("1,,2", a trailing comma) are
    /// refused, naming <paramref name="option"/> and what it takes (<paramref name="expected"/>), rather than skipped.
    /// </summary>
    public static string[] Split(string option, string text, string expected)
    {
        var items = text.Split(',', StringSplitOptions.TrimEntries);
        if (items.All(i => i.Length == 0)) throw new SpeechTokException($"{option} is empty; give {expected}");
        int empty = Array.IndexOf(items, "");
        if (empty >= 0) throw new SpeechTokException($"{option} '{text}': item {empty + 1} is empty; give {expected}");
        return items;
    }
}
