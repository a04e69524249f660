using System.Text;

namespace SpeechTok.Lm.Tokenization;

/// <summary>
/// HF decoders as steps over the token strings (<c>Decoder::decode_chain</c>); the decoded text is the
/// concatenation of what the last step returns.
/// </summary>
internal static class TokenDecoders
{
    /// <summary><c>ByteLevel</c>: every token's characters back to bytes (a token with a character outside the
    /// byte alphabet contributes its own UTF-8), then all bytes as one UTF-8 string, U+FFFD for invalid sequences.</summary>
    public static List<string> ByteLevelDecode(List<string> tokens)
    {
        var bytes = new List<byte>();
        foreach (var t in tokens) ByteLevel.AppendTokenBytes(t, bytes);
        return [Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes))];
    }

    /// <summary><c>Replace</c> with a <c>String</c> pattern, token by token.</summary>
    public static Func<List<string>, List<string>> Replace(string pattern, string content) =>
        tokens => tokens.Select(t => t.Replace(pattern, content, StringComparison.Ordinal)).ToList();

    /// <summary><c>ByteFallback</c>: runs of <c>&lt;0xXX&gt;</c> tokens become their bytes as UTF-8, or one U+FFFD
    /// per byte when the run is not valid UTF-8.</summary>
    public static List<string> ByteFallback(List<string> tokens)
    {
        var result = new List<string>(tokens.Count);
        var run = new List<byte>();
        void Flush()
        {
            if (run.Count == 0) return;
            try { result.Add(Strict.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(run))); }
            catch (DecoderFallbackException) { for (int k = 0; k < run.Count; k++) result.Add("\uFFFD"); }
            run.Clear();
        }
        foreach (var t in tokens)
        {
            if (ByteToken(t) is byte b) { run.Add(b); continue; }
            Flush();
            result.Add(t);
        }
        Flush();
        return result;
    }

    private static readonly UTF8Encoding Strict = new(false, throwOnInvalidBytes: true);

    // HF: 6 UTF-8 bytes, "<0x" … ">", and u8::from_str_radix(middle two bytes, 16), which also takes "+F".
    private static byte? ByteToken(string t)
    {
        if (t.Length != 6 || !t.StartsWith("<0x", StringComparison.Ordinal) || t[5] != '>') return null;
        ReadOnlySpan<char> hex = t.AsSpan(3, 2);
        if (hex[0] == '+') hex = hex[1..];
        return byte.TryParse(hex, System.Globalization.NumberStyles.AllowHexSpecifier, null, out byte v) ? v : null;
    }

    /// <summary><c>Fuse</c>: all tokens into one.</summary>
    public static List<string> Fuse(List<string> tokens) => [string.Concat(tokens)];

    /// <summary><c>Strip</c>: up to <paramref name="start"/> leading and <paramref name="stop"/> trailing
    /// <paramref name="content"/> characters removed from each token.</summary>
    public static Func<List<string>, List<string>> Strip(char content, int start, int stop) => tokens => tokens.Select(t =>
    {
        int a = 0, b = t.Length;
        while (a < start && a < t.Length && t[a] == content) a++;
        for (int k = 0; k < stop && b > a && t[b - 1] == content; k++) b--;
        return t[a..b];
    }).ToList();

    /// <summary><c>Metaspace</c>: the replacement character becomes a space, except in the first token when the
    /// prepend scheme is not <c>never</c>, where it is dropped.</summary>
    public static Func<List<string>, List<string>> Metaspace(string replacement, bool stripFirst) =>
        tokens => tokens.Select((t, i) => t.Replace(replacement, i == 0 && stripFirst ? "" : " ", StringComparison.Ordinal)).ToList();
}
