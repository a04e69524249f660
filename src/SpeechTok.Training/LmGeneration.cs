using System.Runtime.InteropServices;
using SpeechTok.Lm.Model;
using SpeechTok.Tensors;

namespace SpeechTok.Training;

/// <summary>
/// Autoregressive sampling with a KV cache (HF <c>past_key_values</c>, <see cref="LlamaKvCache"/>): the prompt is
/// prefilled once, then each new token runs alone through the layers, attending over the cached keys and values, and
/// only its position reaches the LM head. The model sees at most the last max_position_embeddings tokens: once the
/// sequence is longer, every new token re-prefills that window (positions from 0, as without a cache; each such
/// token costs a full forward of the window). Stops at any of config.json's <c>eos_token_id</c>s. Only the tokenizer's ids are candidates (a checkpoint's
/// padding rows past them are never drawn).
/// </summary>
public static class LmGeneration
{
    /// <summary>The new token ids after <paramref name="prompt"/>, encoded as the model's tokenizer encodes a text
    /// (<see cref="Lm.Tokenization.HfTokenizer.EncodeWithBos"/>: BOS first when it adds one, none for Qwen2.5); settings
    /// <paramref name="o"/> leaves null come from the model's generation_config.json (<see cref="GenerationConfig.Resolve"/>).</summary>
    /// <exception cref="SpeechTokException">Before any token: a prompt plus continuation longer than the model's
    /// <c>sliding_window</c>; an empty prompt for a tokenizer without BOS (nothing to continue). While generating: logits that are not finite (non-finite weights), naming the position.</exception>
    public static List<int> Generate(CausalLmFolder lm, string prompt, GenerateOptions o, Action<int>? onToken = null)
    {
        o.Validate();
        var ids = new List<int>(lm.Tokenizer.EncodeWithBos(prompt));
        var (maxNew, temperature, topK) = lm.Generation.Resolve(o, ids.Count);
        if (ids.Count == 0 && maxNew > 0)
            throw new SpeechTokException($"{lm.Folder}: the prompt is empty and the model's tokenizer adds no BOS token, so there is nothing to continue: give a --prompt");
        // Candidates: the ids both the tokenizer and the embedding table have (a pad only tokenizer_config.json names lies past the rows).
        int context = lm.Config.MaxPositionEmbeddings, v = Math.Min(lm.Tokenizer.VocabSize, lm.Model.VocabSize);
        // Positions the model sees at once; in long arithmetic, as --max-new-tokens 2147483647 ("until EOS") is fair.
        int span = (int)Math.Min((long)ids.Count + maxNew - 1, context);
        if (maxNew > 0) lm.CheckSequenceLength(span, "prompt plus --max-new-tokens");
        var rng = Rng.ForPurpose(o.Seed, "lm.generate");
        var added = new List<int>();
        if (maxNew == 0) return added;
        // The last new token is never fed back: the cache holds the prompt and the others, within the window.
        using var past = new LlamaKvCache(lm.Config, span);
        for (int n = 0; n < maxNew; n++)
        {
            var all = CollectionsMarshal.AsSpan(ids);
            if (ids.Count > context) past.Reset(); // past the window: re-prefill the last max_position_embeddings tokens
            var logits = lm.Model.NextTokenLogits(ids.Count > context ? all[^context..] : all[past.Length..], past).AsSpan(0, v);
            foreach (float x in logits)
                if (!float.IsFinite(x)) throw new SpeechTokException($"{lm.Folder}: the model's logits are not finite ({x}) at position {ids.Count}: its weights hold non-finite values");
            int next = temperature == 0 ? ArgMax(logits) : Sample(logits, temperature, topK, rng);
            if (Array.IndexOf(lm.StopTokenIds, next) >= 0) break; // any EOS id of generation_config.json, else config.json (Llama-3.1: <|eot_id|> too)
            ids.Add(next);
            added.Add(next);
            onToken?.Invoke(next);
        }
        return added;
    }

    private static int ArgMax(ReadOnlySpan<float> x)
    {
        int best = 0;
        for (int i = 1; i < x.Length; i++) if (x[i] > x[best]) best = i;
        return best;
    }

    /// <summary>Softmax of logits/temperature over the k largest logits (ties: lower id first), then one draw.</summary>
    internal static int Sample(ReadOnlySpan<float> logits, double temperature, int topK, Rng rng)
    {
        var order = Enumerable.Range(0, logits.Length).ToArray();
        var copy = logits.ToArray();
        Array.Sort(order, (a, b) => copy[b] != copy[a] ? copy[b].CompareTo(copy[a]) : a.CompareTo(b));
        int k = topK == 0 ? order.Length : Math.Min(topK, order.Length);
        double max = copy[order[0]], total = 0;
        var p = new double[k];
        for (int i = 0; i < k; i++) total += p[i] = Math.Exp((copy[order[i]] - max) / temperature);
        double u = rng.NextDouble() * total;
        for (int i = 0; i < k; i++)
        {
            u -= p[i];
            if (u < 0) return order[i];
        }
        return order[k - 1];
    }
}
