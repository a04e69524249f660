namespace SpeechTok;

/// <summary>
/// Lists in messages, capped: a manifest whose clips are all missing named every one (1,660 lines for a real dataset),
/// burying the cause; the first items and the count of the rest say as much.
/// </summary>
public static class ShortList
{
    /// <summary>The most items a message lists.</summary>
    public const int MaxItems = 20;

    /// <summary>The first <see cref="MaxItems"/> of <paramref name="items"/> joined with <paramref name="separator"/>,
    /// then "… and N more" as one more item when there are more.</summary>
    public static string Join(string separator, IReadOnlyCollection<string> items) =>
        items.Count <= MaxItems ? string.Join(separator, items)
            : string.Join(separator, items.Take(MaxItems).Append($"… and {items.Count - MaxItems} more"));
}
