using SpeechTok.Lm.Model;
using SpeechTok.Tensors;
using SpeechTok.Tensors.Ops;

namespace SpeechTok.Tests.Lm;

/// <summary>Tiny random Llama/Qwen2-style checkpoints built in memory, by HF tensor name.</summary>
internal static class ModelTestData
{
    public static LlamaConfig Config(bool tied = true, bool qwen = false, bool mlpBias = false, int layers = 2) => LlamaConfig.Parse($$"""
        {"architectures": ["{{(qwen ? "Qwen2ForCausalLM" : "LlamaForCausalLM")}}"], "hidden_size": 8, "intermediate_size": 12,
         "num_hidden_layers": {{layers}}, "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 11,
         "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "tie_word_embeddings": {{(tied ? "true" : "false")}},
         "mlp_bias": {{(mlpBias ? "true" : "false")}},
         "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 8},
         "bos_token_id": 1, "eos_token_id": [2, 3], "pad_token_id": 0}
        """, "test config");

    public static Dictionary<string, Tensor> Weights(LlamaConfig c, int seed, float scale = 0.4f)
    {
        var rng = new Random(seed);
        var d = new Dictionary<string, Tensor>();
        void Add(string name, float offset, params int[] shape)
        {
            var a = new float[Tensor.Count(shape)];
            for (int i = 0; i < a.Length; i++) a[i] = offset + (float)(rng.NextDouble() * 2 - 1) * scale;
            d[name] = Tensor.FromData(a, shape);
        }
        int h = c.HiddenSize, qd = c.NumHeads * c.HeadDim, kd = c.NumKvHeads * c.HeadDim, im = c.IntermediateSize;
        Add("model.embed_tokens.weight", 0, c.VocabSize, h);
        if (!c.TieWordEmbeddings) Add("lm_head.weight", 0, c.VocabSize, h);
        Add("model.norm.weight", 1, h);
        for (int l = 0; l < c.NumLayers; l++)
        {
            string p = $"model.layers.{l}.";
            Add(p + "self_attn.q_proj.weight", 0, qd, h); Add(p + "self_attn.k_proj.weight", 0, kd, h);
            Add(p + "self_attn.v_proj.weight", 0, kd, h); Add(p + "self_attn.o_proj.weight", 0, h, qd);
            if (c.QkvBias) { Add(p + "self_attn.q_proj.bias", 0, qd); Add(p + "self_attn.k_proj.bias", 0, kd); Add(p + "self_attn.v_proj.bias", 0, kd); }
            if (c.OBias) Add(p + "self_attn.o_proj.bias", 0, h);
            Add(p + "mlp.gate_proj.weight", 0, im, h); Add(p + "mlp.up_proj.weight", 0, im, h); Add(p + "mlp.down_proj.weight", 0, h, im);
            if (c.MlpBias) { Add(p + "mlp.gate_proj.bias", 0, im); Add(p + "mlp.up_proj.bias", 0, im); Add(p + "mlp.down_proj.bias", 0, h); }
            Add(p + "input_layernorm.weight", 1, h); Add(p + "post_attention_layernorm.weight", 1, h);
        }
        return d;
    }

    public static LlamaWeights Load(LlamaConfig c, Dictionary<string, Tensor> w) => LlamaWeights.Load(c, n => w.GetValueOrDefault(n));

    /// <summary>A 3-label classifier with rank-2 LoRA (seed 1) whose score head is scaled ×20, so gradient checks see a loss that is not flat.</summary>
    public static LlamaForSequenceClassification SharpClassifier(LlamaWeights w)
    {
        var m = new LlamaForSequenceClassification(w, 3, 0, new LoraAdapters(w.Config, 2, 4f, 0f, seed: 1), seed: 3);
        for (int i = 0; i < m.ScoreWeight.Length; i++) m.ScoreWeight[i] *= 20;
        return m;
    }

    public static Tensor Rows(int n, int h, int seed, float scale = 0.4f)
    {
        var rng = new Random(seed);
        return Tensor.FromData(Enumerable.Range(0, n * h).Select(_ => (float)(rng.NextDouble() * 2 - 1) * scale).ToArray(), n, h);
    }

    // Batch of 2 × 6, second row right-padded with id 0; ids 11..13 are appended rows.
    public static readonly int[] Ids = [1, 11, 5, 12, 7, 13, 1, 4, 13, 9, 0, 0];
    public static readonly int[] Mask = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0];
    public static readonly int[] Labels = [1, 11, 5, 12, 7, 13, 1, 4, 13, 9, CrossEntropy.IgnoreIndex, CrossEntropy.IgnoreIndex];
}
