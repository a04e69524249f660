using SpeechTok.Lm.Tokenization;

namespace SpeechTok.Tests.Lm;

/// <summary>
/// The textbook BPE learner, kept as the reference for <see cref="BpeTrainer"/>: every iteration recounts
/// all adjacent pairs over the pieces and merges the most frequent one everywhere (left to right). Ties go
/// to the pair whose symbols have the smaller HF id: bytes by their printable character, then merged tokens
/// in creation order.
/// </summary>
internal static class NaiveBpe
{
    public static List<(string A, string B)> LearnMerges(IReadOnlyDictionary<string, long> words, int vocabSize, int minFrequency = 2)
    {
        var rank = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var c in Enumerable.Range(0, 256).Select(b => ByteLevel.CharOf((byte)b)).Order()) rank[c.ToString()] = rank.Count;
        var split = words.Select(kv => (Symbols: kv.Key.Select(ch => ch.ToString()).ToList(), Freq: kv.Value)).ToList();
        var merges = new List<(string, string)>();
        while (rank.Count + BpeTrainer.SpecialCount < vocabSize)
        {
            var pairs = new Dictionary<(string, string), long>();
            foreach (var (sym, f) in split)
                for (int i = 0; i + 1 < sym.Count; i++)
                    pairs[(sym[i], sym[i + 1])] = pairs.GetValueOrDefault((sym[i], sym[i + 1])) + f;
            if (pairs.Count == 0) break;
            var best = pairs.OrderByDescending(kv => kv.Value).ThenBy(kv => rank[kv.Key.Item1]).ThenBy(kv => rank[kv.Key.Item2]).First();
            if (best.Value < minFrequency) break;
            var (a, b) = best.Key;
            merges.Add((a, b));
            rank.TryAdd(a + b, rank.Count);
            foreach (var (sym, _) in split)
                for (int i = 0; i + 1 < sym.Count; i++)
                    if (sym[i] == a && sym[i + 1] == b) { sym[i] = a + b; sym.RemoveAt(i + 1); }
        }
        return merges;
    }
}
