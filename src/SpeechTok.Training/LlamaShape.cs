using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using SpeechTok.Lm.Model;
using SpeechTok.Tensors;

namespace SpeechTok.Training;

/// <summary>
/// The size of a Llama built from scratch (tied embeddings, GQA, no biases, SiLU, RMSNorm ε 1e-5, RoPE θ 10⁴),
/// its Hugging Face <c>config.json</c> and its initial weights.
/// </summary>
public sealed record LlamaShape(
    [property: JsonPropertyName("hidden_size")] int Hidden,
    [property: JsonPropertyName("num_hidden_layers")] int Layers,
    [property: JsonPropertyName("num_attention_heads")] int Heads,
    [property: JsonPropertyName("num_key_value_heads")] int KvHeads,
    [property: JsonPropertyName("intermediate_size")] int Intermediate)
{
    /// <summary>Checks the shape; errors name the option (<c>--hidden</c> …).</summary>
    public void Validate()
    {
        if (Hidden < 1 || Layers < 1 || Heads < 1 || KvHeads < 1 || Intermediate < 1)
            throw new SpeechTokException($"model shape: --hidden {Hidden}, --layers {Layers}, --heads {Heads}, --kv-heads {KvHeads} and --intermediate {Intermediate} must be positive");
        if (Hidden % Heads != 0) throw new SpeechTokException($"model shape: --hidden {Hidden} is not a multiple of --heads {Heads}");
        if ((Hidden / Heads) % 2 != 0) throw new SpeechTokException($"model shape: the head size --hidden/--heads = {Hidden / Heads} must be even (RoPE rotates pairs)");
        if (Heads % KvHeads != 0) throw new SpeechTokException($"model shape: --heads {Heads} is not a multiple of --kv-heads {KvHeads}");
    }

    /// <summary>HF <c>LlamaForCausalLM</c> config.json (float32, tied embeddings) for a vocabulary and context.</summary>
    public JsonObject ConfigJson(int vocabSize, int bosId, int eosId, int maxPositions) => new()
    {
        ["architectures"] = new JsonArray("LlamaForCausalLM"), ["model_type"] = "llama", ["hidden_act"] = "silu",
        ["hidden_size"] = Hidden, ["intermediate_size"] = Intermediate, ["num_hidden_layers"] = Layers,
        ["num_attention_heads"] = Heads, ["num_key_value_heads"] = KvHeads, ["head_dim"] = Hidden / Heads,
        ["vocab_size"] = vocabSize, ["max_position_embeddings"] = maxPositions, ["rms_norm_eps"] = 1e-5, ["rope_theta"] = 10000.0,
        ["attention_bias"] = false, ["attention_dropout"] = 0.0, ["mlp_bias"] = false, ["pretraining_tp"] = 1, ["rope_scaling"] = null,
        ["tie_word_embeddings"] = true, ["bos_token_id"] = bosId, ["eos_token_id"] = eosId, ["initializer_range"] = 0.02,
        ["torch_dtype"] = "float32", ["use_cache"] = true,
    };

    /// <summary>
    /// HF-named tensors of a Llama from <paramref name="seed"/>, as HF's <c>_init_weights</c>: every matrix
    /// N(0, 0.02²), norm weights 1. With <paramref name="scaledResidual"/>, the two matrices that write into
    /// the residual stream (<c>o_proj</c>, <c>down_proj</c>) get std 0.02/√(2·layers) instead (GPT-2, nanoGPT),
    /// so the residual's variance does not grow with depth at initialisation. Each tensor has its own stream
    /// (<c>Rng.ForPurpose(seed, name)</c>).
    /// </summary>
    public static Dictionary<string, Tensor> InitialWeights(LlamaConfig c, ulong seed, bool scaledResidual)
    {
        var d = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        int h = c.HiddenSize, qd = c.NumHeads * c.HeadDim, kd = c.NumKvHeads * c.HeadDim, im = c.IntermediateSize;
        double residualStd = scaledResidual ? 0.02 / Math.Sqrt(2.0 * c.NumLayers) : 0.02;
        void Normal(string name, double std, params int[] shape)
        {
            var t = Tensor.Zeros(shape);
            Rng.ForPurpose(seed, name).FillNormal(t.Span, 0, std);
            d[name] = t;
        }
        void Ones(string name, int n) { var t = Tensor.Zeros(n); t.Span.Fill(1); d[name] = t; }
        Normal("model.embed_tokens.weight", 0.02, c.VocabSize, h);
        for (int l = 0; l < c.NumLayers; l++)
        {
            string p = $"model.layers.{l}.";
            Normal(p + "self_attn.q_proj.weight", 0.02, qd, h);
            Normal(p + "self_attn.k_proj.weight", 0.02, kd, h);
            Normal(p + "self_attn.v_proj.weight", 0.02, kd, h);
            Normal(p + "self_attn.o_proj.weight", residualStd, h, qd);
            Normal(p + "mlp.gate_proj.weight", 0.02, im, h);
            Normal(p + "mlp.up_proj.weight", 0.02, im, h);
            Normal(p + "mlp.down_proj.weight", residualStd, h, im);
            Ones(p + "input_layernorm.weight", h);
            Ones(p + "post_attention_layernorm.weight", h);
        }
        Ones("model.norm.weight", h);
        return d;
    }
}
