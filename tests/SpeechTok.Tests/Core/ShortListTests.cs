namespace SpeechTok.Tests.Core;

/// <summary><see cref="ShortList"/>: messages list at most 20 items, then the count of the rest.</summary>
public sealed class ShortListTests
{
    private static string[] Items(int n) => Enumerable.Range(1, n).Select(i => $"clip{i}.wav").ToArray();

    /// <summary>The cap's edge: 20 items are listed in full, the 21st becomes "… and 1 more".</summary>
    [Fact]
    public void Lists_up_to_twenty_items_in_full_and_counts_the_rest()
    {
        Assert.Equal(20, ShortList.MaxItems);
        Assert.Equal(string.Join(", ", Items(19)), ShortList.Join(", ", Items(19)));
        Assert.Equal(string.Join(", ", Items(20)), ShortList.Join(", ", Items(20)));
        Assert.Equal(string.Join(", ", Items(20)) + ", … and 1 more", ShortList.Join(", ", Items(21)));
        Assert.Equal(string.Join("; ", Items(20)) + "; … and 80 more", ShortList.Join("; ", Items(100)));
    }
}
