namespace SpeechTok.Lm.Model;

/// <summary>
/// The rows a forward pass computes for a right-padded [b, t] batch. Packed (HF's padding-free training,
/// <c>DataCollatorWithFlattening</c>): only the real tokens, sequence after sequence, with position ids restarting
/// at 0 and attention within each sequence, so the pad positions cost nothing. A real token's hidden state is the
/// padded forward's (right padding: no real token attends to a pad). Not packed: every position, b·t rows with the
/// key mask, for callers that need the pad positions' outputs too (HF returns them) or masks that are not right padding.
/// </summary>
internal sealed class PackedBatch
{
    public int B { get; }
    public int T { get; }
    /// <summary>[b + 1] first row of each sequence (flash-attn's cu_seqlens); rows = the last.</summary>
    public int[] CuSeqlens { get; }
    /// <summary>[rows] position of each row in its sequence (HF's position_ids).</summary>
    public int[] PositionIds { get; }
    /// <summary>[rows] the input ids of the rows.</summary>
    public int[] Ids { get; }
    /// <summary>[rows] key mask, or empty when every row is a real token.</summary>
    public int[] KeyMask { get; }
    public int Rows => CuSeqlens[^1];
    /// <summary>Σ tᵢ²: attention scores per head.</summary>
    public long Scores { get; }

    private PackedBatch(int b, int t, int[] cu, int[] ids, int[] keyMask)
    {
        B = b; T = t; CuSeqlens = cu; Ids = ids; KeyMask = keyMask;
        PositionIds = new int[cu[^1]];
        for (int i = 0; i < b; i++)
        {
            for (int r = cu[i]; r < cu[i + 1]; r++) PositionIds[r] = r - cu[i];
            Scores += (long)(cu[i + 1] - cu[i]) * (cu[i + 1] - cu[i]);
        }
    }

    /// <summary>
    /// Packs when <paramref name="lengths"/> (from <see cref="RightPaddedLengths"/>) is given; otherwise all b·t
    /// rows with <paramref name="mask"/> as the key mask.
    /// </summary>
    public static PackedBatch Create(ReadOnlySpan<int> ids, ReadOnlySpan<int> mask, int b, int t, int[]? lengths)
    {
        var cu = new int[b + 1];
        if (lengths == null)
        {
            for (int i = 0; i < b; i++) cu[i + 1] = cu[i] + t;
            return new PackedBatch(b, t, cu, ids.ToArray(), mask.ToArray());
        }
        for (int i = 0; i < b; i++) cu[i + 1] = cu[i] + lengths[i];
        var rows = new int[cu[b]];
        for (int i = 0; i < b; i++) ids.Slice(i * t, lengths[i]).CopyTo(rows.AsSpan(cu[i]));
        return new PackedBatch(b, t, cu, rows, []);
    }

    /// <summary>
    /// The real length of each row when the mask is right padding (every row: ones, then zeros; empty = all t),
    /// otherwise null.
    /// </summary>
    public static int[]? RightPaddedLengths(ReadOnlySpan<int> mask, int b, int t)
    {
        var lengths = new int[b];
        for (int i = 0; i < b; i++)
        {
            if (mask.IsEmpty) { lengths[i] = t; continue; }
            var row = mask.Slice(i * t, t);
            int n = 0;
            while (n < t && row[n] != 0) n++;
            for (int j = n; j < t; j++)
                if (row[j] != 0) return null;
            lengths[i] = n;
        }
        return lengths;
    }

    public int Length(int bi) => CuSeqlens[bi + 1] - CuSeqlens[bi];

    /// <summary>The row of position ti of sequence bi; throws for a pad position that was packed away.</summary>
    public int Row(int bi, int ti) => (uint)ti < (uint)Length(bi) ? CuSeqlens[bi] + ti
        : throw new SpeechTokException($"position {ti} of sequence {bi} is padding, which a packed batch does not compute");

    /// <summary>The row of flat position p = bi·t + ti of the [b, t] ids.</summary>
    public int RowOfFlat(int p) => (uint)p < (uint)(B * T) ? Row(p / T, p % T)
        : throw new SpeechTokException($"position {p} is outside the batch's {B * T} positions");
}
