namespace SpeechTok.Lm.Tokenization;

/// <summary>
/// GPT-2's <c>bytes_to_unicode</c>: every byte gets a printable character so that BPE vocabularies can be
/// stored as text. Printable Latin-1 bytes map to themselves, the other 68 to U+0100 onwards in byte order.
/// </summary>
public static class ByteLevel
{
    internal static readonly char[] ByteToChar = BuildTable();
    private static readonly short[] CharToByte = BuildInverse();

    private static char[] BuildTable()
    {
        var table = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++)
        {
            bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            table[b] = printable ? (char)b : (char)next++;
        }
        return table;
    }

    private static short[] BuildInverse()
    {
        var inv = new short[512];
        Array.Fill(inv, (short)-1);
        for (int b = 0; b < 256; b++) inv[ByteToChar[b]] = (short)b;
        return inv;
    }

    /// <summary>GPT-2's printable stand-in for a byte (the byte-level BPE alphabet).</summary>
    public static char CharOf(byte b) => ByteToChar[b];

    /// <summary>The byte a mapped character stands for, or -1 when it is not in the alphabet.</summary>
    internal static int ByteOf(char c) => c < CharToByte.Length ? CharToByte[c] : -1;

    /// <summary>Appends the bytes of a token string: mapped characters back to bytes, or, as the HF
    /// ByteLevel decoder does, the token's own UTF-8 when any of its characters is outside the alphabet.</summary>
    internal static void AppendTokenBytes(string token, List<byte> output)
    {
        foreach (char c in token)
        {
            if (ByteOf(c) < 0)
            {
                output.AddRange(System.Text.Encoding.UTF8.GetBytes(token));
                return;
            }
        }
        foreach (char c in token) output.Add((byte)ByteOf(c));
    }
}
