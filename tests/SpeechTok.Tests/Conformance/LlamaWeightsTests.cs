using System.Text.Json;
using SpeechTok.Tensors;
using SpeechTok.Tensors.IO;

namespace SpeechTok.Tests.Conformance;

/// <summary>
/// The llama-* model files load through <see cref="SafeTensors"/>: every tensor the config implies is
/// there with its shape, the BF16 file is the round-to-nearest-even image of the F32 file bit for bit,
/// and the fixture's auxiliary safetensors file reproduces the manifest's tensors (checksums and bits).
/// (reference.json carries no checksums of the model tensors themselves; their values are checked
/// end-to-end by the logits conformance tests.)
/// </summary>
[Trait("Category", "Conformance")]
public sealed class LlamaWeightsTests
{
    public static TheoryData<string> Folders => FixtureRoot.Data("llama-");

    /// <summary>HF Llama parameter names and shapes implied by config.json.</summary>
    private static Dictionary<string, int[]> ExpectedShapes(string folder)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(folder, "config.json")));
        var c = doc.RootElement;
        int hidden = c.GetProperty("hidden_size").GetInt32();
        int inter = c.GetProperty("intermediate_size").GetInt32();
        int layers = c.GetProperty("num_hidden_layers").GetInt32();
        int heads = c.GetProperty("num_attention_heads").GetInt32();
        int kv = c.TryGetProperty("num_key_value_heads", out var k) && k.ValueKind == JsonValueKind.Number ? k.GetInt32() : heads;
        int headDim = c.TryGetProperty("head_dim", out var h) && h.ValueKind == JsonValueKind.Number ? h.GetInt32() : hidden / heads;
        int vocab = c.GetProperty("vocab_size").GetInt32();
        bool tied = c.TryGetProperty("tie_word_embeddings", out var t) && t.ValueKind == JsonValueKind.True;

        var s = new Dictionary<string, int[]> { ["model.embed_tokens.weight"] = [vocab, hidden], ["model.norm.weight"] = [hidden] };
        if (!tied) s["lm_head.weight"] = [vocab, hidden];
        for (int l = 0; l < layers; l++)
        {
            string p = $"model.layers.{l}.";
            s[p + "self_attn.q_proj.weight"] = [heads * headDim, hidden];
            s[p + "self_attn.k_proj.weight"] = [kv * headDim, hidden];
            s[p + "self_attn.v_proj.weight"] = [kv * headDim, hidden];
            s[p + "self_attn.o_proj.weight"] = [hidden, heads * headDim];
            s[p + "mlp.gate_proj.weight"] = [inter, hidden];
            s[p + "mlp.up_proj.weight"] = [inter, hidden];
            s[p + "mlp.down_proj.weight"] = [hidden, inter];
            s[p + "input_layernorm.weight"] = [hidden];
            s[p + "post_attention_layernorm.weight"] = [hidden];
        }
        return s;
    }

    [Theory]
    [MemberData(nameof(Folders))]
    public void ModelFilesHaveEveryTensorWithItsShapeAndDType(string name)
    {
        var folder = FixtureRoot.Folder(name);
        var expected = ExpectedShapes(folder);
        foreach (var (file, dtype) in new[] { ("model.safetensors", DType.F32), ("model-bf16.safetensors", DType.BF16) })
        {
            using var st = SafeTensors.Open(Path.Combine(folder, file));
            Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), st.Names.Order(StringComparer.Ordinal));
            foreach (var (tensor, shape) in expected)
            {
                using var t = st.Get(tensor);
                Assert.True(shape.AsSpan().SequenceEqual(t.Shape), $"{file} {tensor}: shape {ShapeMismatchException.Format(t.Shape)}, config implies {ShapeMismatchException.Format(shape)}");
                Assert.Equal(dtype, t.DType);
                Assert.True(t.IsReadOnly);
            }
        }
        // The folder loader picks the single-file model.
        using var model = SafeTensors.OpenModel(folder);
        Assert.Equal(expected.Count, model.Names.Count);
    }

    [Theory]
    [MemberData(nameof(Folders))]
    public void Bf16FileIsTheRoundedF32File(string name)
    {
        var folder = FixtureRoot.Folder(name);
        using var f32 = SafeTensors.Open(Path.Combine(folder, "model.safetensors"));
        using var bf16 = SafeTensors.Open(Path.Combine(folder, "model-bf16.safetensors"));
        foreach (var tensor in f32.Names)
        {
            using var a = f32.Get(tensor);
            using var b = bf16.Get(tensor);
            var values = a.ReadOnlySpan;
            var bits = b.Bits16;
            Assert.Equal(values.Length, bits.Length);
            int bad = 0;
            for (int i = 0; i < values.Length; i++)
                if (Half16.F32ToBf16(values[i]) != bits[i]) bad++;
            Assert.True(bad == 0, $"{tensor}: {bad} of {values.Length} BF16 values are not the rounded F32 values");
            // The upcast view agrees with the stored bits.
            var up = b.ToArray();
            Assert.Equal(Half16.Bf16ToF32(bits[^1]), up[^1]);
        }
    }

    [Theory]
    [MemberData(nameof(Folders))]
    public void AuxiliaryTensorsMatchTheirReferenceChecksumsAndBits(string name)
    {
        // fixture_tensors.safetensors holds F32 copies of manifest tensors (new rows, head, LoRA weights)
        // under HF names; each must equal, bit for bit and by checksum, a manifest tensor of its shape.
        var folder = FixtureRoot.Folder(name);
        var path = Path.Combine(folder, "fixture_tensors.safetensors");
        Assert.True(File.Exists(path), $"{path} is missing");
        using var reference = LlamaWeightsFixture.Reference(folder);
        var candidates = LlamaWeightsFixture.Manifest(reference).EnumerateObject()
            .Where(e => e.Value.GetProperty("dtype").GetString() == "float32" && e.Value.TryGetProperty("checksum", out _))
            .ToList();
        using var st = SafeTensors.Open(path);
        Assert.NotEmpty(st.Names);
        foreach (var tensor in st.Names)
        {
            using var t = st.Get(tensor);
            var values = t.ReadOnlySpan.ToArray();
            var sum = LlamaWeightsFixture.Compute(values);
            var match = candidates.FirstOrDefault(c =>
                LlamaWeightsFixture.Shape(c.Value).AsSpan().SequenceEqual(t.Shape)
                && LlamaWeightsFixture.Matches(c.Value.GetProperty("checksum"), sum, out _));
            Assert.True(match.Value.ValueKind == JsonValueKind.Object, $"{tensor} {ShapeMismatchException.Format(t.Shape)}: no manifest tensor of that shape has its checksum");
            var bin = LlamaWeightsFixture.ReadF32(folder, reference, match.Name);
            Assert.Equal(bin.Select(BitConverter.SingleToInt32Bits), values.Select(BitConverter.SingleToInt32Bits));
        }
    }
}
