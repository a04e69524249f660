using System.Text.Json.Nodes;
using SpeechTok.Codec.SpeechTokenizer;
using SpeechTok.Codec.Torch;
using SpeechTok.Tensors;
using SpeechTok.Tensors.IO;
using SpeechTok.Tests.Conformance;

namespace SpeechTok.Tests.Codec;

/// <summary>Bad tokenizer folders fail with one error naming the file (and the tensor or field).</summary>
public sealed class SpeechTokenizerLoadTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("stok-load-").FullName;
    private readonly string _fixture = FixtureRoot.Folders("speechtokenizer-")[0];

    public void Dispose() => Directory.Delete(_dir, true);

    private string Config(Action<JsonObject>? edit = null)
    {
        var cfg = JsonNode.Parse(File.ReadAllText(Path.Combine(_fixture, "config.json")))!.AsObject();
        edit?.Invoke(cfg);
        File.WriteAllText(Path.Combine(_dir, "config.json"), cfg.ToJsonString());
        return _dir;
    }

    private string Checkpoint(Func<string, Tensor, Tensor?> edit)
    {
        var tensors = TorchCheckpoint.Load(Path.Combine(_fixture, "model.pt"));
        var path = Path.Combine(_dir, "model.safetensors");
        SafeTensors.Save(path, tensors.Select(kv => (kv.Key, edit(kv.Key, kv.Value))).Where(p => p.Item2 != null).Select(p => (p.Key, p.Item2!)));
        return path;
    }

    [Fact]
    public void MissingTensorIsNamed()
    {
        Config();
        var path = Checkpoint((name, t) => name == "encoder.model.3.conv.conv.weight_v" ? null : t);
        var e = Assert.Throws<SpeechTokException>(() => SpeechTokenizerModel.Load(_dir));
        Assert.Contains(path, e.Message);
        Assert.Contains("'encoder.model.3.conv.conv.weight_v' is missing", e.Message);
    }

    [Fact]
    public void WrongShapeIsNamed()
    {
        Config();
        var path = Checkpoint((name, t) => name == "quantizer.vq.layers.2._codebook.embed" ? Tensor.Zeros(t.Shape[0] - 1, t.Shape[1]) : t);
        var e = Assert.Throws<SpeechTokException>(() => SpeechTokenizerModel.Load(_dir));
        Assert.Contains(path, e.Message);
        Assert.Contains("'quantizer.vq.layers.2._codebook.embed' has shape", e.Message);
    }

    [Fact]
    public void ConfigThatDoesNotMatchTheCheckpointNamesATensor()
    {
        Config(c => c["n_filters"] = 16);
        File.Copy(Path.Combine(_fixture, "model.pt"), Path.Combine(_dir, "model.pt"));
        var e = Assert.Throws<SpeechTokException>(() => SpeechTokenizerModel.Load(_dir));
        Assert.Contains("model.pt", e.Message);
        Assert.Contains("encoder.model.0.conv.conv", e.Message);
    }

    [Theory]
    [InlineData("n_filters", null, "'n_filters' is missing")]
    [InlineData("strides", "[]", "'strides'")]
    [InlineData("n_q", "0", "'n_q' must be an integer >= 1")]
    [InlineData("activation", "\"GELU\"", "activation 'GELU' is not supported")]
    [InlineData("norm", "\"time_group_norm\"", "norm 'time_group_norm' is not supported")]
    [InlineData("sample_rate", "24000", "sample_rate 24000 is not supported: clips are loaded at 16000 Hz")] // it was read and ignored
    public void BadConfigFieldIsNamed(string field, string? json, string expected)
    {
        var dir = Config(c =>
        {
            if (json == null) c.Remove(field);
            else c[field] = JsonNode.Parse(json);
        });
        var e = Assert.Throws<SpeechTokException>(() => SpeechTokenizerModel.Load(dir));
        Assert.Contains(Path.Combine(dir, "config.json"), e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void InvalidJsonAndMissingCheckpointAreReported()
    {
        File.WriteAllText(Path.Combine(_dir, "config.json"), "{\"n_filters\": 8,");
        var e = Assert.Throws<SpeechTokException>(() => SpeechTokenizerModel.Load(_dir));
        Assert.Contains("config.json", e.Message);

        Config();
        e = Assert.Throws<SpeechTokException>(() => SpeechTokenizerModel.Load(_dir));
        Assert.Contains("no model.safetensors or model.pt", e.Message);
    }

    [Theory]
    [InlineData("model.pt")]
    [InlineData("model.safetensors")]
    public void TruncatedCheckpointNamesTheFile(string name)
    {
        Config();
        var bytes = File.ReadAllBytes(Path.Combine(_fixture, name));
        var path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes[..(bytes.Length * 2 / 3)]);
        var e = Assert.Throws<SpeechTokException>(() => SpeechTokenizerModel.Load(_dir));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void EmptyClipIsRefused()
    {
        var model = SpeechTokenizerModel.Load(_fixture, Path.Combine(_fixture, "model.pt"));
        Assert.Throws<SpeechTokException>(() => model.Encode(ReadOnlySpan<float>.Empty));
        Assert.Single(model.Encode(new float[1])[0]); // one sample still gives one frame
    }
}
