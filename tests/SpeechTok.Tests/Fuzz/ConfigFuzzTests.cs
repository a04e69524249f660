using System.Text;
using SpeechTok.Codec.SpeechTokenizer;
using SpeechTok.Lm.Model;
using SpeechTok.Tests.Conformance;
using Xunit.Abstractions;

namespace SpeechTok.Tests.Fuzz;

/// <summary>
/// config.json of a Llama-family model and of a SpeechTokenizer: JSON-aware mutations (values replaced by
/// boundary numbers, other types, deleted or renamed keys) and byte mutations. A config that loads must also
/// make sense (positive sizes, heads divisible by KV heads, finite positive ε and θ), or it would only fail later.
/// </summary>
public sealed class ConfigFuzzTests(ITestOutputHelper output, FuzzLog log) : IClassFixture<FuzzLog>
{
    private static readonly string Qwen = """
        {"architectures": ["Qwen2ForCausalLM"], "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 1, "num_attention_heads": 4,
         "num_key_value_heads": 2, "vocab_size": 300, "rms_norm_eps": 1e-6, "rope_theta": 1000000.0, "tie_word_embeddings": true,
         "eos_token_id": [1, 2], "bos_token_id": null, "pad_token_id": 0, "hidden_act": "silu", "rope_scaling": null}
        """;

    [Fact]
    public void MutatedConfigsFailOnlyWithANamedErrorOrMakeSense()
    {
        var llama = File.ReadAllText(Path.Combine(FixtureRoot.RepoRoot, "tests", "fixtures", "llama-tiny", "config.json"));
        var codec = File.ReadAllText(Path.Combine(FixtureRoot.RepoRoot, "tests", "fixtures", "speechtokenizer-tiny", "config.json"));
        string[] seeds = [llama, Qwen, codec];
        Fuzzer.Run(line => log.Report(output, line), "config.json", seed: 1303, (m, i) =>
        {
            string json = seeds[i % 3];
            var text = m.Chance(0.8) ? Encoding.UTF8.GetBytes(m.Json(json)) : m.Bytes(Encoding.UTF8.GetBytes(json));
            return new() { [i % 3 == 2 ? "codec.json" : "config.json"] = text };
        }, dir =>
        {
            if (File.Exists(Path.Combine(dir, "codec.json")))
            {
                var c = SpeechTokenizerConfig.Load(Path.Combine(dir, "codec.json"));
                Assert.True(c.NFilters > 0 && c.Dimension > 0 && c.CodebookSize > 0 && c.NQ > 0 && c.SampleRate > 0 && c.Strides.All(s => s > 0));
                Assert.True(c.HopLength > 0, $"hop length {c.HopLength} overflows");
                return;
            }
            var l = LlamaConfig.Load(dir);
            Assert.True(l.HiddenSize > 0 && l.IntermediateSize > 0 && l.NumLayers > 0 && l.NumHeads > 0 && l.NumKvHeads > 0 && l.HeadDim > 0 && l.VocabSize > 0,
                $"non-positive size accepted: {l}");
            Assert.True(l.NumHeads % l.NumKvHeads == 0);
            Assert.True(float.IsFinite(l.RmsNormEps) && l.RmsNormEps > 0, $"rms_norm_eps {l.RmsNormEps}");
            Assert.True(double.IsFinite(l.RopeTheta) && l.RopeTheta > 0, $"rope_theta {l.RopeTheta}");
            Assert.True(l.MaxPositionEmbeddings > 0);
            if (l.RopeScaling is { } r)
                Assert.True(r.Factor > 0 && (r.Type != "llama3" || r.LowFreqFactor > 0 && r.HighFreqFactor > r.LowFreqFactor && r.OriginalMaxPositionEmbeddings > 0), $"rope_scaling {r}");
        }).RequireShares(accepted: 0.10, rejected: 0.40); // this seed: 25.7 % accepted, 74.3 % rejected
    }
}
