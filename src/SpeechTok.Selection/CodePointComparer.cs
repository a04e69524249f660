using System.Text;

namespace SpeechTok.Selection;

/// <summary>Orders strings as Python does: by Unicode code point (UTF-16 ordinal order differs above U+FFFF).</summary>
internal sealed class CodePointComparer : IComparer<string>
{
    public static readonly CodePointComparer Instance = new();

    public int Compare(string? x, string? y)
    {
        if (ReferenceEquals(x, y)) return 0;
        if (x is null) return -1;
        if (y is null) return 1;
        int i = 0, j = 0;
        while (i < x.Length && j < y.Length)
        {
            Rune.DecodeFromUtf16(x.AsSpan(i), out var a, out int la);
            Rune.DecodeFromUtf16(y.AsSpan(j), out var b, out int lb);
            if (a.Value != b.Value) return a.Value.CompareTo(b.Value);
            i += la; j += lb;
        }
        return (x.Length - i).CompareTo(y.Length - j);
    }
}
