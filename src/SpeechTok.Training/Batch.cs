namespace SpeechTok.Training;

/// <summary>A right-padded batch: ids [B, T] (pad id after each sequence), attention mask, sizes.</summary>
public readonly record struct Batch(int[] Ids, int[] Mask, int B, int T)
{
    public static Batch Make(IReadOnlyList<int[]> seqs, int padId)
    {
        int b = seqs.Count, t = seqs.Max(s => s.Length);
        var ids = new int[b * t];
        var mask = new int[b * t];
        Array.Fill(ids, padId);
        for (int i = 0; i < b; i++)
        {
            seqs[i].CopyTo(ids, i * t);
            mask.AsSpan(i * t, seqs[i].Length).Fill(1);
        }
        return new Batch(ids, mask, b, t);
    }

    /// <summary>Causal-LM labels: the ids with padded positions set to −100.</summary>
    public int[] LmLabels()
    {
        var y = (int[])Ids.Clone();
        for (int i = 0; i < y.Length; i++) if (Mask[i] == 0) y[i] = -100;
        return y;
    }
}
