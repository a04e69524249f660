namespace SpeechTok.Lm.Model;

/// <summary>
/// <c>past_key_values</c> of one sequence, as HF's DynamicCache: per layer the keys (after RoPE) and values of the
/// positions seen so far, [capacity, num_key_value_heads, head_dim] each (GQA: the KV heads, not repeated per query
/// head), so that a forward of new tokens attends over them instead of recomputing the prefix
/// (<see cref="LlamaForCausalLm.NextTokenLogits"/>). Unlike DynamicCache it does not grow: its capacity is allocated
/// (zeroed, native) up front. One cache serves one sequence and one model config.
/// </summary>
public sealed unsafe class LlamaKvCache : IDisposable
{
    private readonly NativeBuffers _mem = new();
    private readonly nint[] _keys, _values;

    /// <summary>The config the cache was made for; a model of another shape refuses it.</summary>
    public LlamaConfig Config { get; }
    /// <summary>Positions the cache can hold.</summary>
    public int Capacity { get; }
    /// <summary>Positions cached (HF <c>get_seq_length()</c>): the next token is at this position.</summary>
    public int Length { get; internal set; }
    /// <summary>Scratch for one query's attention probabilities [num_attention_heads, capacity].</summary>
    internal float* Probs { get; }

    /// <exception cref="SpeechTokException">A capacity below 1.</exception>
    public LlamaKvCache(LlamaConfig config, int capacity)
    {
        if (capacity < 1) throw new SpeechTokException($"a KV cache needs a capacity of at least 1 position, got {capacity}");
        Config = config;
        Capacity = capacity;
        long rows = (long)capacity * config.NumKvHeads * config.HeadDim;
        _keys = new nint[config.NumLayers];
        _values = new nint[config.NumLayers];
        for (int l = 0; l < config.NumLayers; l++)
        {
            _keys[l] = (nint)_mem.Floats(rows);
            _values[l] = (nint)_mem.Floats(rows);
        }
        Probs = _mem.Floats((long)config.NumHeads * capacity);
    }

    /// <summary>Layer <paramref name="layer"/>'s keys after RoPE, [capacity, num_key_value_heads, head_dim].</summary>
    internal float* Keys(int layer) => (float*)_keys[layer];
    /// <summary>Layer <paramref name="layer"/>'s values, [capacity, num_key_value_heads, head_dim].</summary>
    internal float* Values(int layer) => (float*)_values[layer];

    /// <summary>Forgets the cached positions (the buffers are reused).</summary>
    public void Reset() => Length = 0;

    /// <summary>Copies <paramref name="rows"/> rows of keys and values [rows, num_key_value_heads, head_dim] to positions
    /// <paramref name="at"/>.. of <paramref name="layer"/>; <see cref="Length"/> is advanced by the caller once every layer has them.</summary>
    internal void Store(int layer, int at, float* k, float* v, int rows)
    {
        int kd = Config.NumKvHeads * Config.HeadDim;
        long n = (long)rows * kd, o = (long)at * kd;
        new ReadOnlySpan<float>(k, checked((int)n)).CopyTo(new Span<float>(Keys(layer) + o, checked((int)n)));
        new ReadOnlySpan<float>(v, checked((int)n)).CopyTo(new Span<float>(Values(layer) + o, checked((int)n)));
    }

    /// <summary>The first cached position of <paramref name="t"/> new tokens, after checking that they fit.</summary>
    /// <exception cref="SpeechTokException">A config of another shape than <see cref="Config"/>'s, or more positions than the capacity.</exception>
    internal int Begin(LlamaConfig c, int t)
    {
        if (c.NumLayers != Config.NumLayers || c.NumKvHeads != Config.NumKvHeads || c.HeadDim != Config.HeadDim || c.NumHeads != Config.NumHeads)
            throw new SpeechTokException($"this KV cache was made for {Config.NumLayers} layers of {Config.NumHeads}/{Config.NumKvHeads} heads of {Config.HeadDim}, " +
                $"not the model's {c.NumLayers} layers of {c.NumHeads}/{c.NumKvHeads} heads of {c.HeadDim}");
        if ((long)Length + t > Capacity)
            throw new SpeechTokException($"the KV cache holds {Capacity} positions: {Length} cached plus {t} new exceed it");
        return Length;
    }

    public void Dispose() => _mem.Dispose();
}
