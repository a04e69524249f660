using System.Text.Json;
using SpeechTok.Lm.Model;
using static SpeechTok.Tests.Conformance.LlamaFixture;

namespace SpeechTok.Tests.Conformance;

/// <summary>
/// Fixture README "Full-parameter gradients": for each batch of <c>full_grads.json</c>, the HF causal-LM loss
/// and the gradient of every checkpoint tensor, within relative 1e-4 of each tensor's max-abs. The list of
/// gradients comes from the json's <c>grad_names</c> and must name exactly the model's tensors (tied or
/// untied, biases or not), so a folder of another configuration is checked without code changes.
/// </summary>
[Trait("Category", "Conformance")]
public sealed class LlamaFullGradientConformanceTests
{
    public static TheoryData<string> Folders => FixtureRoot.Data("llama-");

    [Theory, MemberData(nameof(Folders))]
    public void Loss_and_every_weight_gradient_match(string folder)
    {
        var f = new LlamaFixture(folder);
        string path = Path.Combine(f.Folder, "full_grads.json");
        Assert.True(File.Exists(path), $"{folder}: full_grads.json is missing (every llama-* folder carries the full-parameter gradients)");
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        // The checkpoint's memory-mapped tensors cannot be trained in place; a writable copy can.
        Assert.Contains("load with a writable F32 copy", Assert.Throws<SpeechTokException>(() => LlamaParameters.Create(f.Weights())).Message);
        var weights = f.Weights().ToWritableF32();
        var parameters = LlamaParameters.Create(weights);
        // HF name with '.' → '_' is the file-name form (model.layers.0.mlp.up_proj.weight → model_layers_0_mlp_up_proj_weight).
        var byFileName = parameters.All.ToDictionary(p => p.Name.Replace('.', '_'), StringComparer.Ordinal);
        using var lm = new LlamaForCausalLm(weights);

        var batches = doc.RootElement.GetProperty("batches").EnumerateObject().ToList();
        Assert.NotEmpty(batches);
        foreach (var batch in batches)
        {
            string name = batch.Name;
            var shape = f.Shape(name + "_input_ids");
            int b = shape[0], t = shape[1];
            var (ids, mask, labels) = (f.I64(name + "_input_ids"), f.I64(name + "_attention_mask"), f.I64(name + "_labels"));
            parameters.ZeroGrad();
            var loss = lm.LossAndGradients(ids, mask, labels, b, t, parameters);
            Close($"{folder} {name} loss_mean", [batch.Value.GetProperty("loss_mean").GetSingle()], [(float)loss.Mean], null, 1);

            var gradNames = batch.Value.GetProperty("grad_names").EnumerateArray().Select(e => e.GetString()!).ToList();
            var checkedParams = new HashSet<string>(StringComparer.Ordinal);
            foreach (var gradName in gradNames)
            {
                int at = gradName.IndexOf("_grad_", StringComparison.Ordinal);
                Assert.True(at > 0, $"{folder}: grad name '{gradName}' is not full_batch<i>_grad_<name>");
                string key = gradName[(at + "_grad_".Length)..];
                Assert.True(byFileName.TryGetValue(key, out var p), $"{folder}: reference gradient '{gradName}' names no tensor of the model");
                var expected = LlamaWeightsFixture.ReadF32(f.Folder, doc, gradName, out var gradShape);
                Assert.Equal(p!.Grad.Shape, gradShape);
                RelClose($"{folder} {name} {p.Name}", expected, p.Grad.ReadOnlySpan.ToArray(), 1e-4);
                checkedParams.Add(p.Name);
            }
            // Every trainable tensor has a reference: nothing the model trains goes unchecked.
            Assert.Equal(parameters.All.Select(p => p.Name).Order(), checkedParams.Order());
        }
    }
}
