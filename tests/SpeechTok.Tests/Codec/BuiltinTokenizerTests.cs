using System.Text.Json.Nodes;
using SpeechTok.Audio;
using SpeechTok.Codec;
using SpeechTok.Codec.Builtin;
using SpeechTok.Tests.Audio;

namespace SpeechTok.Tests.Codec;

public sealed class BuiltinTokenizerTests : IDisposable
{
    private readonly string _dir = Tool.TempDir("builtin");

    public void Dispose() => Directory.Delete(_dir, true);

    // small codebooks and few iterations keep the suite fast; the cap logic (k = min(cap, frames/8)) is checked below
    private static readonly BuiltinFitOptions Small = new() { Seed = 11, CodebookSize = 64, FramesPerCode = 8, MaxIterations = 10 };

    [Fact]
    public void FitOnEspeakIsDeterministicAndUsesItsCodebooks()
    {
        var m = EspeakCorpus.Manifest();
        var a = BuiltinTokenizer.Fit(m, Small);
        var b = BuiltinTokenizer.Fit(m, Small);
        var c = BuiltinTokenizer.Fit(m, Small with { Seed = 12 });

        var wav = AudioLoader.LoadSample(m.Split("test")[0]);
        var ca = a.Encode(wav);
        Assert.Equal(8, ca.Length);
        Assert.Equal((wav.Length + 319) / 320, ca[0].Length);
        Assert.Equal(ca, b.Encode(wav));
        Assert.NotEqual(ca, c.Encode(wav));
        var fromWaves = BuiltinTokenizer.Fit(m.Split("train").Select(x => AudioLoader.LoadSample(x)).ToList(), Small);
        Assert.Equal(ca, fromWaves.Encode(wav));

        a.Save(Path.Combine(_dir, "a"));
        b.Save(Path.Combine(_dir, "b"));
        Assert.Equal(File.ReadAllBytes(Path.Combine(_dir, "a", BuiltinTokenizer.CodebooksFile)), File.ReadAllBytes(Path.Combine(_dir, "b", BuiltinTokenizer.CodebooksFile)));

        // every layer spreads over its codebook
        int k = a.LayerSize(0);
        Assert.Equal(Math.Min(64, a.FitFrames / 8), k);
        Assert.Equal(8, a.Usage.Count);
        foreach (var u in a.Usage)
        {
            Assert.True(u.UsedFraction > 0.5, $"layer {u.Layer}: only {u.Used}/{u.Size} codes used");
            Assert.True(u.Perplexity > 8, $"layer {u.Layer}: perplexity {u.Perplexity:F1}");
        }
        Assert.True(a.Usage[0].Perplexity > 0.25 * k, $"layer 1 perplexity {a.Usage[0].Perplexity:F1} of {k}");
        Assert.All(ca, layer => Assert.All(layer, code => Assert.InRange(code, 0, k - 1)));
    }

    [Fact]
    public void SavedFolderLoadsThroughTheLoaderWithTheSameCodesAndUsage()
    {
        var m = EspeakCorpus.Manifest();
        var tok = BuiltinTokenizer.Fit(m, Small with { NumQuantizers = 3, CodebookSize = 32 });
        Assert.Equal(32, tok.LayerSize(0));
        var dir = Path.Combine(_dir, "tok");
        tok.Save(dir);
        var loaded = Assert.IsType<BuiltinTokenizer>(TokenizerLoader.Load(dir));
        Assert.Equal(3, loaded.NumQuantizers);
        Assert.Equal(32, loaded.CodebookSize);
        Assert.Equal(16000, loaded.SampleRate);
        Assert.Equal(320, loaded.HopLength);
        Assert.Equal(tok.Usage, loaded.Usage);
        var wav = AudioLoader.LoadSample(m.Split("val")[0]);
        Assert.Equal(tok.Encode(wav), loaded.Encode(wav));
        Assert.Single(loaded.Encode(new float[100])[2]);
        Assert.All(loaded.Encode(ReadOnlySpan<float>.Empty), l => Assert.Empty(l));

        // layer 1 is fitted on the content block only, so pitch, level and voicing are left whole for layers 2+
        using (var books = SpeechTok.Tensors.IO.SafeTensors.Open(Path.Combine(dir, BuiltinTokenizer.CodebooksFile)))
        {
            float[] Prosody(string name)
            {
                using var t = books.Get(name);
                var v = t.ToArray();
                return Enumerable.Range(0, v.Length / BuiltinFeatures.Dim)
                    .SelectMany(r => v.Skip(r * BuiltinFeatures.Dim + BuiltinFeatures.ContentDims).Take(BuiltinFeatures.ProsodyDims)).ToArray();
            }
            Assert.All(Prosody("codebook.0"), x => Assert.Equal(0f, x));
            Assert.True(Prosody("codebook.1").Max(MathF.Abs) > 0.5f, "layer 2 codes no prosody");
        }

        var id = TokenizerLoader.Identity(dir);
        Assert.StartsWith("builtin:", id);
        Assert.Equal(id, TokenizerLoader.Identity(dir));
        Assert.Throws<SpeechTokException>(() => TokenizerLoader.Load("builtin"));
    }

    /// <summary>A tokenizer of 2 layers of 8 codes, fitted quickly and saved in the folder returned.</summary>
    /// <summary>A fit on digital silence gave a tokenizer whose layer 1 has one code, without a word.</summary>
    [Fact]
    public void A_fit_whose_first_layer_uses_one_code_warns()
    {
        var log = new List<string>();
        var tok = BuiltinTokenizer.Fit([new float[16000], new float[16000]], new BuiltinFitOptions { Seed = 11, CodebookSize = 8, FramesPerCode = 8, MaxIterations = 10, NumQuantizers = 1 }, log.Add);
        Assert.Equal(1, tok.Usage[0].Used);
        Assert.Contains(log, l => l.StartsWith("warning: layer 1 uses 1 of its ", StringComparison.Ordinal) && l.Contains("digital silence", StringComparison.Ordinal));
        log.Clear();
        BuiltinTokenizer.Fit(EspeakCorpus.Manifest(), new BuiltinFitOptions { Seed = 11, CodebookSize = 8, FramesPerCode = 8, MaxIterations = 10, NumQuantizers = 1 }, log: log.Add);
        Assert.DoesNotContain(log, l => l.StartsWith("warning:", StringComparison.Ordinal));
    }

    private (BuiltinTokenizer Tokenizer, string Dir) SavedTwoLayers()
    {
        var tok = BuiltinTokenizer.Fit(EspeakCorpus.Manifest(), Small with { NumQuantizers = 2, CodebookSize = 8, MaxIterations = 3 });
        Assert.Equal(8, tok.LayerSize(1));
        var dir = Path.Combine(_dir, "t");
        tok.Save(dir);
        return (tok, dir);
    }

    [Fact]
    public void DamagedFoldersAreNamedErrors()
    {
        var (_, dir) = SavedTwoLayers();
        var cb = Path.Combine(dir, BuiltinTokenizer.CodebooksFile);
        var bytes = File.ReadAllBytes(cb);
        File.WriteAllBytes(cb, bytes[..(bytes.Length - 50)]);
        var e = Assert.Throws<SpeechTokException>(() => TokenizerLoader.Load(dir));
        Assert.Contains(cb, e.Message);

        File.WriteAllBytes(cb, bytes);
        var cfg = Path.Combine(dir, BuiltinTokenizer.ConfigFile);
        File.WriteAllText(cfg, File.ReadAllText(cfg).Replace("\"format_version\": 2", "\"format_version\": 99"));
        e = Assert.Throws<SpeechTokException>(() => TokenizerLoader.Load(dir));
        Assert.Contains("format_version 99", e.Message);

        Directory.CreateDirectory(Path.Combine(_dir, "official"));
        File.WriteAllText(Path.Combine(_dir, "official", "config.json"), "{\"sample_rate\": 16000}");
        Assert.Throws<SpeechTokException>(() => TokenizerLoader.Load(Path.Combine(_dir, "official")));
        Assert.Contains("does not exist", Assert.Throws<SpeechTokException>(() => TokenizerLoader.Load(Path.Combine(_dir, "nowhere"))).Message);
    }

    /// <summary>
    /// usage.json and config.json were read key by key: "fit_frames": 1.5 ended in a bare FormatException, config.json's
    /// layer_sizes was written but never compared with the codebooks, and a hop_length or n_mels of other features was
    /// reported as "feature settings (dim 84)". Each is now a named error; a usage.json written before its format tag loads.
    /// </summary>
    [Fact]
    public void Config_and_usage_fields_that_do_not_read_or_match_are_named()
    {
        var (tok, dir) = SavedTwoLayers();
        string usage = Path.Combine(dir, BuiltinTokenizer.UsageFile), cfg = Path.Combine(dir, BuiltinTokenizer.ConfigFile);
        string usageText = File.ReadAllText(usage), cfgText = File.ReadAllText(cfg);
        void Write(string path, string text, Action<JsonObject> change)
        {
            var o = JsonNode.Parse(text)!.AsObject();
            change(o);
            File.WriteAllText(path, o.ToJsonString());
        }
        SpeechTokException Refused() => Assert.Throws<SpeechTokException>(() => TokenizerLoader.Load(dir));

        foreach (var frames in new[] { "1.5", "1e10", "\"9\"" })
        {
            Write(usage, usageText, o => o["fit_frames"] = JsonNode.Parse(frames));
            var e = Refused();
            Assert.Contains(usage, e.Message);
            Assert.Contains("fit_frames", e.Message);
        }
        Write(usage, usageText, o => { o.Remove("format"); o.Remove("format_version"); }); // as written before the tag
        var loaded = Assert.IsType<BuiltinTokenizer>(TokenizerLoader.Load(dir));
        Assert.Equal(tok.Usage, loaded.Usage);
        Assert.Equal(tok.FitFrames, loaded.FitFrames);

        Write(cfg, cfgText, o => o["layer_sizes"] = new JsonArray(8, 5));
        var wrong = Refused();
        Assert.Contains(Path.Combine(dir, BuiltinTokenizer.CodebooksFile), wrong.Message);
        Assert.Contains("'codebook.1' has shape [8,84], expected [5,84] (config.json's layer_sizes)", wrong.Message);
        Write(cfg, cfgText, o => o["layer_sizes"] = new JsonArray(8, 8, 8));
        Assert.Contains("'layer_sizes' lists 3 layers, 'num_quantizers' is 2", Refused().Message);
        Write(cfg, cfgText, o => o["hop_length"] = 160);
        Assert.Contains($"{cfg}: 'hop_length' is 160, but this build's features have 320", Refused().Message);
        Write(cfg, cfgText, o => o["n_mels"] = 80);
        Assert.Contains("'n_mels' is 80, but this build's features have 40", Refused().Message);
        File.WriteAllText(cfg, cfgText);
        Assert.Equal(tok.Encode(new float[3200]), TokenizerLoader.Load(dir).Encode(new float[3200]));
    }
}

public sealed class KMeansTests
{
    [Fact]
    public void SeparatedBlobsAreFoundAndKIsCappedByTheData()
    {
        // four well separated 2-D blobs: k-means++ + Lloyd recovers their centres
        var rng = new Random(2);
        float[][] centres = [[0, 0], [10, 0], [0, 10], [10, 10]];
        int n = 400, d = 2;
        var x = new float[n * d];
        for (int i = 0; i < n; i++)
        {
            var c = centres[i % 4];
            x[i * d] = c[0] + (float)(rng.NextDouble() - 0.5);
            x[i * d + 1] = c[1] + (float)(rng.NextDouble() - 0.5);
        }
        var cb = SpeechTok.Codec.Builtin.KMeans.Fit(x, n, d, 4, seed: 1, maxIter: 20, out _);
        foreach (var c in centres)
        {
            double best = Enumerable.Range(0, 4).Min(j => Math.Pow(cb[j * 2] - c[0], 2) + Math.Pow(cb[j * 2 + 1] - c[1], 2));
            Assert.True(best < 0.1, $"no centroid near ({c[0]}, {c[1]})");
        }
        // duplicate points: more clusters than distinct points still gives k finite centroids
        var dup = new float[40];
        var cd = SpeechTok.Codec.Builtin.KMeans.Fit(dup, 20, 2, 5, 0, 5, out _);
        Assert.All(cd, v => Assert.Equal(0f, v));
    }
}

public sealed class BuiltinFeatureTests
{
    [Fact]
    public void FramesAreCentredOnTheCodecGrid()
    {
        // a click in the middle of frame 10 ([3200, 3520)) makes frame 10 the loudest
        var x = new float[16000];
        x[3360] = 1f;
        var f = SpeechTok.Codec.Builtin.BuiltinFeatures.Compute(x);
        Assert.Equal(50, f.Frames);
        int best = 0;
        for (int t = 1; t < f.Frames; t++) if (f.Row(t)[BuiltinFeatures.Level] > f.Row(best)[BuiltinFeatures.Level]) best = t;
        Assert.Equal(10, best);
        Assert.Equal(1, SpeechTok.Codec.Builtin.BuiltinFeatures.Compute(new float[100]).Frames);
        Assert.Equal(3, SpeechTok.Codec.Builtin.BuiltinFeatures.Compute(new float[641]).Frames);
    }
}
