using SpeechTok.Lm.Model;
using SpeechTok.Tensors.Ops;

namespace SpeechTok.Training;

/// <summary>
/// Bits per byte and perplexity of a causal LM on documents packed as in training (<see cref="PackedText"/>):
/// windows of the context length overlapping by one token, so each text token is predicted once, from the
/// tokens before it in its window (on average half a window of context; BOS and EOS are context, never
/// targets; without a BOS, the very first token of the stream has no context and is not scored, as in HF's
/// perplexity evaluation). <c>speechtok lm eval</c> and the held-out evaluation during <c>lm train</c> both call this.
/// </summary>
public static class LmEvaluation
{
    /// <exception cref="SpeechTokException">A loss that is not finite, or whose perplexity overflows (non-finite weights, or
    /// training that diverged); the message starts with <paramref name="source"/> when given.</exception>
    public static LmEvalResult Evaluate(LlamaForCausalLm model, PackedText text, int seqLen, int batchSize, string? source = null)
    {
        if (batchSize < 1) throw new SpeechTokException($"evaluation batch size {batchSize} must be positive");
        if (text.TextTokens == 0) throw new SpeechTokException("evaluation text has no token to score");
        int windows = text.AllWindows(seqLen);
        double nats = 0;
        long count = 0;
        for (int w0 = 0; w0 < windows; w0 += batchSize)
        {
            int b = Math.Min(batchSize, windows - w0);
            int t = 0;
            for (int k = 0; k < b; k++) t = Math.Max(t, Length(text.Window(w0 + k, seqLen)));
            var ids = new int[b * t];
            var mask = new int[b * t];
            var labels = new int[b * t];
            Array.Fill(labels, CrossEntropy.IgnoreIndex);
            for (int k = 0; k < b; k++)
            {
                var (start, len) = text.Window(w0 + k, seqLen).GetOffsetAndLength(text.Ids.Length);
                for (int i = 0; i < len; i++)
                {
                    ids[k * t + i] = text.Ids[start + i];
                    mask[k * t + i] = 1;
                    if (i > 0 && text.IsText[start + i]) labels[k * t + i] = text.Ids[start + i]; // position 0 is the previous window's target
                }
            }
            var l = model.Loss(ids, mask, labels, b, t);
            nats += l.Sum;
            count += l.Count;
        }
        if (count != text.TextTokens) throw new InvalidOperationException($"evaluation scored {count} tokens of {text.TextTokens}");
        var result = new LmEvalResult(nats, count, text.Bytes);
        if (!double.IsFinite(result.Perplexity))
            throw new SpeechTokException($"{(source == null ? "" : source + ": ")}the loss is {result.MeanLoss:G4} nats/token"
                + (double.IsFinite(result.MeanLoss) ? ", too large for a perplexity" : "") + ": the model's outputs are not usable (non-finite weights, or training that diverged)");
        return result;
    }

    private static int Length(Range r) => r.End.Value - r.Start.Value;
}
