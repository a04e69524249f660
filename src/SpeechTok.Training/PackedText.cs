using SpeechTok.Lm.Tokenization;

namespace SpeechTok.Training;

/// <summary>
/// Documents as one token stream, as <c>speechtok lm</c> trains and evaluates on them: each document is
/// BOS (when the tokenizer adds one), its tokens, EOS (when the model has one), and the documents follow each other. The stream is read
/// through windows of <c>T</c> tokens that overlap by one (window k starts at k·(T−1)), so that every token
/// but the very first is a prediction target exactly once, with the tokens before it in its window as context.
/// </summary>
public sealed class PackedText
{
    /// <summary>The token ids, all documents concatenated.</summary>
    public int[] Ids { get; }

    /// <summary>Whether each position is a scored target: a token of a document's text (false for BOS and EOS), but never
    /// position 0, which nothing precedes (a document's first token when the tokenizer adds no BOS).</summary>
    public bool[] IsText { get; }

    /// <summary>UTF-8 bytes of the documents' texts (the denominator of bits per byte).</summary>
    public long Bytes { get; }

    /// <summary>Scored tokens of the texts (<see cref="IsText"/>: BOS, EOS and position 0 excluded).</summary>
    public long TextTokens { get; }

    private PackedText(int[] ids, bool[] isText, long bytes)
    {
        Ids = ids;
        IsText = isText;
        Bytes = bytes;
        TextTokens = isText.LongCount(x => x);
    }

    /// <summary>Encodes the documents (in parallel; the result does not depend on the thread count). Without
    /// <paramref name="bosId"/> (a tokenizer that adds none, as HF's Qwen2.5 <c>tokenizer(text)</c>), a document
    /// follows the previous one's EOS directly.</summary>
    public static PackedText Encode(HfTokenizer tokenizer, IReadOnlyList<string> docs, int? bosId, int? eosId)
    {
        var parts = new int[docs.Count][];
        Parallel.For(0, docs.Count, new ParallelOptions { MaxDegreeOfParallelism = Tensors.Threading.Threads }, i => parts[i] = tokenizer.Encode(docs[i]));
        int extra = (bosId == null ? 0 : 1) + (eosId == null ? 0 : 1);
        var ids = new int[parts.Sum(p => (long)p.Length + extra)];
        var isText = new bool[ids.Length];
        int o = 0;
        foreach (var p in parts)
        {
            if (bosId is int bos) ids[o++] = bos;
            p.CopyTo(ids, o);
            isText.AsSpan(o, p.Length).Fill(true);
            o += p.Length;
            if (eosId is int eos) ids[o++] = eos;
        }
        if (isText.Length > 0) isText[0] = false; // no context to predict it from
        return new PackedText(ids, isText, docs.Sum(d => (long)System.Text.Encoding.UTF8.GetByteCount(d)));
    }

    private static void CheckSeqLen(int seqLen)
    {
        if (seqLen < 2) throw new SpeechTokException($"sequence length {seqLen} must be at least 2");
    }

    /// <summary>Windows of exactly <paramref name="seqLen"/> tokens (training drops the shorter tail).</summary>
    public int FullWindows(int seqLen)
    {
        CheckSeqLen(seqLen);
        return Ids.Length < seqLen ? 0 : (Ids.Length - 1) / (seqLen - 1);
    }

    /// <summary>Windows that cover every target, the last one possibly shorter (evaluation).</summary>
    public int AllWindows(int seqLen)
    {
        CheckSeqLen(seqLen);
        return Ids.Length < 2 ? 0 : (Ids.Length - 2) / (seqLen - 1) + 1;
    }

    /// <summary>Window <paramref name="k"/>: up to <paramref name="seqLen"/> tokens from k·(seqLen−1).</summary>
    public Range Window(int k, int seqLen)
    {
        long start = (long)k * (seqLen - 1);
        return new Range((int)start, (int)Math.Min(Ids.Length, start + seqLen));
    }
}
