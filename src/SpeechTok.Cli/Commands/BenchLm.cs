using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using SpeechTok.Lm.Model;
using SpeechTok.Tensors;
using SpeechTok.Tensors.Ops;
using SpeechTok.Tensors.Optim;

namespace SpeechTok.Cli.Commands;

/// <summary>
/// `speechtok bench lm-step`: tokens/s of one training or inference step on a Llama of a real model's
/// shape with random weights (nothing downloaded). Workloads: pretrain = causal-LM loss + gradients of
/// the appended rows only (frozen backbone); full = full-parameter causal-LM training step (every weight's
/// gradient, global-norm clipping at 1, AdamW); finetune = LoRA(q, v) sequence classification step (loss +
/// LoRA and score gradients); infer = classification forward (pooled logits). With --min-seq the batch is
/// right-padded with an attention mask, as a fine-tuning batch of unequal samples (ours then skips the padding).
/// </summary>
internal static class BenchLm
{
    private static readonly Dictionary<string, string> Shapes = new()
    {
        ["smollm2-135m"] = """{"architectures":["LlamaForCausalLM"],"hidden_size":576,"intermediate_size":1536,"num_hidden_layers":30,"num_attention_heads":9,"num_key_value_heads":3,"head_dim":64,"vocab_size":49152,"rms_norm_eps":1e-5,"rope_theta":100000.0,"tie_word_embeddings":true,"max_position_embeddings":8192}""",
        // the earlier, random-backbone built-in LM's shape (vocabulary the size of a demo's BPE): kept so older measurements can be rerun
        ["builtin-256x4"] = """{"architectures":["LlamaForCausalLM"],"hidden_size":256,"intermediate_size":688,"num_hidden_layers":4,"num_attention_heads":8,"num_key_value_heads":4,"head_dim":32,"vocab_size":800,"rms_norm_eps":1e-5,"rope_theta":10000.0,"tie_word_embeddings":true,"max_position_embeddings":2048}""",
        // the pre-trained built-in LM (scripts/build-builtin-lm.sh): 4 layers of 256, GQA 4/2 heads, MLP 768, an 8k BPE vocabulary
        ["builtin-lm"] = """{"architectures":["LlamaForCausalLM"],"hidden_size":256,"intermediate_size":768,"num_hidden_layers":4,"num_attention_heads":4,"num_key_value_heads":2,"head_dim":64,"vocab_size":8192,"rms_norm_eps":1e-5,"rope_theta":10000.0,"tie_word_embeddings":true,"max_position_embeddings":2048}""",
        ["llama3.2-1b"] = """{"architectures":["LlamaForCausalLM"],"hidden_size":2048,"intermediate_size":8192,"num_hidden_layers":16,"num_attention_heads":32,"num_key_value_heads":8,"head_dim":64,"vocab_size":128256,"rms_norm_eps":1e-5,"rope_theta":500000.0,"tie_word_embeddings":true,"max_position_embeddings":131072,"rope_scaling":{"rope_type":"llama3","factor":32.0,"low_freq_factor":1.0,"high_freq_factor":4.0,"original_max_position_embeddings":8192}}""",
        ["llama3.2-3b"] = """{"architectures":["LlamaForCausalLM"],"hidden_size":3072,"intermediate_size":8192,"num_hidden_layers":28,"num_attention_heads":24,"num_key_value_heads":8,"head_dim":128,"vocab_size":128256,"rms_norm_eps":1e-5,"rope_theta":500000.0,"tie_word_embeddings":true,"max_position_embeddings":131072,"rope_scaling":{"rope_type":"llama3","factor":32.0,"low_freq_factor":1.0,"high_freq_factor":4.0,"original_max_position_embeddings":8192}}""",
    };

    public static Command Build()
    {
        var shape = new Option<string>("--shape") { Description = "Model shape: smollm2-135m, builtin-256x4, builtin-lm, llama3.2-1b or llama3.2-3b.", DefaultValueFactory = _ => "smollm2-135m" };
        shape.OneOf([.. Shapes.Keys]);
        var workload = new Option<string>("--workload") { Description = "pretrain (new rows), full (every weight + AdamW), finetune (LoRA) or infer.", DefaultValueFactory = _ => "finetune" };
        workload.OneOf("pretrain", "full", "finetune", "infer");
        var batch = new Option<int>("--batch") { Description = "Sequences per step.", DefaultValueFactory = _ => 8 };
        var seq = new Option<int>("--seq") { Description = "Tokens per sequence (the longest, with --min-seq).", DefaultValueFactory = _ => 128 };
        var minSeq = new Option<int?>("--min-seq") { Description = "Shortest sequence: lengths evenly spaced from it to --seq, right-padded to --seq with an attention mask (as HF's padding collator); tokens/s counts real tokens. Default: --seq (no padding)." };
        var threads = CliLists.Threads("Threads, one per core by default.");
        var steps = new Option<int>("--steps") { Description = "Timed steps after one warm-up step.", DefaultValueFactory = _ => 3 };
        var dtype = new Option<string>("--dtype") { Description = "Weight storage: f32 or bf16 (default: f32 for smollm2-135m and the builtin shapes, bf16 otherwise; full needs f32)." };
        dtype.OneOf("f32", "bf16");
        var newRows = new Option<int>("--new-rows") { Description = "Appended vocabulary rows (audio tokens + markers).", DefaultValueFactory = _ => 512 };
        var json = new Option<bool>("--json") { Description = "Print only the JSON result line." };
        var cmd = new Command("lm-step", "Tokens/s of one LM step on random weights of a model shape; last line {\"shape\",\"workload\",\"batch\",\"seq\",\"min_seq\",\"threads\",\"s_per_step\",\"cpu_s_per_step\",\"tokens_per_s\",\"peak_rss_mib\"}.")
        { shape, workload, batch, seq, minSeq, threads, steps, dtype, newRows, json };
        cmd.SetAction(r => BenchCommands.Sized("lm-step", "--batch or --seq (or pick a smaller --shape)", () => Run(r.GetValue(shape)!, r.GetValue(workload)!, r.GetValue(batch),
            r.GetValue(seq), r.GetValue(minSeq) ?? r.GetValue(seq), r.GetValue(threads), r.GetValue(steps), r.GetValue(dtype), r.GetValue(newRows), r.GetValue(json))));
        return cmd;
    }

    private static int Run(string shape, string workload, int b, int t, int minT, int threads, int steps, string? dtype, int nNew, bool json)
    {
        if (b < 1 || t < 2 || steps < 1 || nNew < 1) throw new SpeechTokException($"bench lm-step: --batch, --steps, --new-rows must be ≥ 1 and --seq ≥ 2 (got {b}, {steps}, {nNew}, {t})");
        if (minT < 2 || minT > t) throw new SpeechTokException($"bench lm-step: --min-seq must be in [2, --seq = {t}], got {minT}");
        Threading.Threads = threads;
        var config = LlamaConfig.Parse(Shapes[shape], shape);
        if (t > config.MaxPositionEmbeddings)
            throw new SpeechTokException($"bench lm-step: --seq {t} is more than --shape {shape}'s max_position_embeddings ({config.MaxPositionEmbeddings})");
        BenchCommands.FitsArray("lm-step", "--batch × --seq", (long)b * t);
        bool bf16 = (dtype ?? (shape is "smollm2-135m" or "builtin-256x4" or "builtin-lm" || workload == "full" ? "f32" : "bf16")) == "bf16";
        if (bf16 && workload == "full") throw new SpeechTokException("bench lm-step: --workload full trains every weight in place and needs --dtype f32");
        var build = Stopwatch.StartNew();
        var tensors = RandomWeights(config, bf16);
        var weights = LlamaWeights.Load(config, n => tensors.GetValueOrDefault(n));
        var rng = new Rng(7);
        if (workload != "full") // full-parameter training covers the checkpoint's own vocabulary
        {
            var rows = Tensor.Zeros(nNew, config.HiddenSize);
            rng.FillNormal(rows.Span, 0, 0.02);
            weights.ExtendVocabulary(rows);
        }
        if (!json) Console.WriteLine($"{shape} ({(bf16 ? "bf16" : "f32")}) random weights built in {build.Elapsed.TotalSeconds:F1} s");

        int vocab = weights.VocabSize;
        var ids = new int[b * t];
        var mask = new int[b * t];
        for (int i = 0; i < ids.Length; i++) ids[i] = 3 + rng.NextInt(vocab - 3);
        // Lengths evenly spaced from minT to t (bench/torch_lm_step.py uses the same formula); pads are id 0, label −100.
        var lengths = Enumerable.Range(0, b).Select(i => b == 1 ? t : minT + i * (t - minT) / (b - 1)).ToArray();
        var lmLabels = (int[])ids.Clone();
        for (int i = 0; i < b; i++)
            for (int j = 0; j < t; j++)
                if (j < lengths[i]) mask[i * t + j] = 1;
                else { ids[i * t + j] = 0; lmLabels[i * t + j] = CrossEntropy.IgnoreIndex; }
        int[] labels = [.. Enumerable.Range(0, b).Select(i => i % 2)];

        Action step;
        IDisposable owner;
        switch (workload)
        {
            case "pretrain":
                var lm = new LlamaForCausalLm(weights);
                var grad = new float[nNew * config.HiddenSize];
                step = () => lm.LossAndNewRowGradients(ids, mask, lmLabels, b, t, grad, grad);
                owner = lm;
                break;
            case "full":
                var model = new LlamaForCausalLm(weights);
                var parameters = LlamaParameters.Create(weights);
                var adamw = new AdamW(parameters.All, lr: 1e-4, weightDecay: 0.1);
                step = () =>
                {
                    parameters.ZeroGrad();
                    model.LossAndGradients(ids, mask, lmLabels, b, t, parameters);
                    GradClip.ClipGradNorm(parameters.All, 1.0);
                    adamw.Step();
                };
                owner = model;
                break;
            default:
                var lora = workload == "finetune" ? new LoraAdapters(config, 64, 16, 0.1f, 42) { Training = true } : null;
                var cls = new LlamaForSequenceClassification(weights, 2, 0, lora, seed: 42);
                step = workload == "finetune"
                    ? () => cls.CrossEntropyStep(ids, mask, b, t, labels, [1f, 1f])
                    : () => cls.Logits(ids, mask, b, t);
                owner = cls;
                break;
        }
        using (owner)
        {
            var warm = Stopwatch.StartNew();
            step();
            if (!json) Console.WriteLine($"warm-up step {warm.Elapsed.TotalSeconds:F2} s");
            // CPU time is reported too: on a shared machine wall time mostly measures the other tenants.
            var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < steps; i++) step();
            double secs = sw.Elapsed.TotalSeconds;
            double cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds / steps;
            double tps = Math.Round((double)lengths.Sum() * steps / secs, 1);
            double rss = Math.Round(Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024.0), 1);
            if (!json) Console.WriteLine($"{shape} {workload} batch {b} × seq {(minT < t ? $"{minT}…" : "")}{t}, {threads} thread(s): {secs / steps:F3} s/step");
            Console.WriteLine(JsonSerializer.Serialize(new { shape, workload, batch = b, seq = t, min_seq = minT, threads, s_per_step = Math.Round(secs / steps, 4), cpu_s_per_step = Math.Round(cpu, 4), tokens_per_s = tps, peak_rss_mib = rss }));
        }
        return 0;
    }

    /// <summary>Every tensor the config names, uniform ±0.05 (norms 1), as F32 or BF16; values only need to be finite.</summary>
    private static Dictionary<string, Tensor> RandomWeights(LlamaConfig c, bool bf16)
    {
        int h = c.HiddenSize, qd = c.NumHeads * c.HeadDim, kd = c.NumKvHeads * c.HeadDim, im = c.IntermediateSize;
        var d = new Dictionary<string, Tensor>();
        ulong seed = 1;
        void Add(string name, bool norm, params int[] shape) => d[name] = norm ? Ones(shape) : Random(shape, bf16, seed++);
        Add("model.embed_tokens.weight", false, c.VocabSize, h);
        Add("model.norm.weight", true, h);
        for (int l = 0; l < c.NumLayers; l++)
        {
            string p = $"model.layers.{l}.";
            Add(p + "self_attn.q_proj.weight", false, qd, h); Add(p + "self_attn.k_proj.weight", false, kd, h);
            Add(p + "self_attn.v_proj.weight", false, kd, h); Add(p + "self_attn.o_proj.weight", false, h, qd);
            Add(p + "mlp.gate_proj.weight", false, im, h); Add(p + "mlp.up_proj.weight", false, im, h); Add(p + "mlp.down_proj.weight", false, h, im);
            Add(p + "input_layernorm.weight", true, h); Add(p + "post_attention_layernorm.weight", true, h);
        }
        return d;
    }

    private static Tensor Ones(int[] shape)
    {
        var t = Tensor.Zeros(shape);
        t.Span.Fill(1f);
        return t;
    }

    private static unsafe Tensor Random(int[] shape, bool bf16, ulong seed)
    {
        long n = Tensor.Count(shape);
        if (!bf16)
        {
            var t = Tensor.Zeros(shape);
            new Rng(seed).FillUniform(t.Span, -0.05, 0.05);
            return t;
        }
        var bits = GC.AllocateUninitializedArray<ushort>(checked((int)n), pinned: true);
        var rng = new Rng(seed);
        for (long i = 0; i < n; i++) bits[i] = Half16.F32ToBf16((rng.NextFloat() - 0.5f) * 0.1f);
        fixed (ushort* p = bits) return Tensor.View(DType.BF16, (byte*)p, shape, new Pin(bits), readOnly: true);
    }

    /// <summary>Keeps a pinned array reachable for as long as the tensor viewing it.</summary>
    private sealed class Pin(ushort[] data) : IDisposable
    {
        public ushort[] Data { get; } = data;
        public void Dispose() { }
    }
}
