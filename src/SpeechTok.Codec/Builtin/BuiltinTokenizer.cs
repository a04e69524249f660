using System.Text.Json;
using System.Text.Json.Nodes;
using SpeechTok.Audio;
using SpeechTok.Audio.Features;
using SpeechTok.Tensors;
using SpeechTok.IO;
using SpeechTok.Tensors.IO;

namespace SpeechTok.Codec.Builtin;

/// <summary>
/// The built-in tokenizer: residual k-means over <see cref="BuiltinFeatures"/> (mean/variance normalised).
/// Like SpeechTokenizer, whose layer 1 is distilled towards content and whose layers 2–8 keep the rest, layer 1
/// is fitted on the content block only (its centroids are zero in the prosody dims), so the residual that
/// layers 2–8 quantise still holds all of the pitch, level and voicing. Needs no download; fitted with
/// <c>Fit</c> and stored as a folder (config.json + codebooks.safetensors + usage.json).
/// </summary>
public sealed class BuiltinTokenizer : ISpeechTokenizer
{
    public const string Format = "speechtok-builtin-tokenizer";
    public const int FormatVersion = 2;
    public const string ConfigFile = "config.json", CodebooksFile = "codebooks.safetensors", UsageFile = "usage.json";
    /// <summary>Weight of each prosody dim after standardisation: the 4 prosody dims then carry as much variance as the 80 content dims.</summary>
    private static readonly float ProsodyWeight = MathF.Sqrt((float)BuiltinFeatures.ContentDims / BuiltinFeatures.ProsodyDims);

    private readonly float[] _mean, _scale;
    private readonly float[][] _codebooks; // [layer] → [k × dim]

    public int SampleRate => BuiltinFeatures.SampleRate;
    public int HopLength => BuiltinFeatures.Hop;
    public int NumQuantizers => _codebooks.Length;
    public int CodebookSize { get; }
    public int Seed { get; }
    public IReadOnlyList<LayerUsage> Usage { get; }
    public int FitFrames { get; }

    private BuiltinTokenizer(float[] mean, float[] scale, float[][] codebooks, int codebookSize, int seed, IReadOnlyList<LayerUsage> usage, int fitFrames)
    {
        _mean = mean;
        _scale = scale;
        _codebooks = codebooks;
        CodebookSize = codebookSize;
        Seed = seed;
        Usage = usage;
        FitFrames = fitFrames;
    }

    public int LayerSize(int layer) => _codebooks[layer].Length / BuiltinFeatures.Dim;

    public int[][] Encode(ReadOnlySpan<float> wav)
    {
        var f = BuiltinFeatures.Compute(wav);
        Normalise(f.Data, _mean, _scale);
        return Quantise(f.Data, f.Frames);
    }

    private int[][] Quantise(float[] x, int n)
    {
        const int d = BuiltinFeatures.Dim;
        var r = x;
        var codes = new int[_codebooks.Length][];
        for (int q = 0; q < _codebooks.Length; q++)
        {
            codes[q] = new int[n];
            int k = LayerSize(q);
            if (n > 0) KMeans.Assign(r, n, d, _codebooks[q], k, codes[q], null);
            Subtract(r, n, _codebooks[q], codes[q]);
        }
        return codes;
    }

    private static void Subtract(float[] r, int n, float[] codebook, int[] codes)
    {
        const int d = BuiltinFeatures.Dim;
        for (int i = 0; i < n; i++)
            System.Numerics.Tensors.TensorPrimitives.Subtract(r.AsSpan(i * d, d), codebook.AsSpan(codes[i] * d, d), r.AsSpan(i * d, d));
    }

    /// <summary>Standardises in place; a missing value (log F0 of an unvoiced frame) becomes 0, the mean.</summary>
    private static void Normalise(float[] x, float[] mean, float[] scale)
    {
        int d = mean.Length;
        for (int i = 0; i < x.Length; i++) x[i] = float.IsNaN(x[i]) ? 0f : (x[i] - mean[i % d]) * scale[i % d];
    }

    /// <summary>Fits on the given 16 kHz mono waveforms (in order; the result depends only on them and the options).</summary>
    public static BuiltinTokenizer Fit(IReadOnlyList<float[]> wavs, BuiltinFitOptions options, Action<string>? log = null) =>
        FitFrom(wavs.Count, i => wavs[i], options, log);

    /// <summary>Fits on the train split of a manifest (all clips must be readable).</summary>
    public static BuiltinTokenizer Fit(Manifest manifest, BuiltinFitOptions options, bool mixdown = false, Action<string>? log = null)
    {
        var train = manifest.Split("train");
        return FitFrom(train.Count, i => AudioLoader.LoadSample(train[i], mixdown), options, log);
    }

    private static BuiltinTokenizer FitFrom(int count, Func<int, float[]> load, BuiltinFitOptions options, Action<string>? log)
    {
        options.Validate();
        var pool = new FramePool(options.MaxFrames);
        const int batch = 32;
        for (int b0 = 0; b0 < count; b0 += batch)
        {
            int bn = Math.Min(batch, count - b0);
            var feats = new FrameMatrix[bn];
            Threading.For(bn, i => feats[i] = BuiltinFeatures.Compute(load(b0 + i)));
            foreach (var f in feats) pool.Add(f); // in input order, whatever the threads did
            log?.Invoke($"features: {b0 + bn}/{count} samples");
        }
        return FitOnFrames(pool.ToArray(out int n), n, options, log);
    }

    private static BuiltinTokenizer FitOnFrames(float[] x, int n, BuiltinFitOptions o, Action<string>? log)
    {
        const int d = BuiltinFeatures.Dim;
        if (n < 16) throw new SpeechTokException($"the built-in tokenizer needs at least 16 frames (0.32 s) of training audio; got {n}");
        var mean = new float[d];
        var scale = new float[d];
        for (int c = 0; c < d; c++)
        {
            double s = 0, s2 = 0;
            int count = 0;
            for (int i = 0; i < n; i++)
            {
                double v = x[i * d + c];
                if (double.IsNaN(v)) continue; // log F0 of unvoiced frames
                s += v; s2 += v * v; count++;
            }
            double m = count > 0 ? s / count : 0, var = count > 0 ? Math.Max(0, s2 / count - m * m) : 0;
            mean[c] = (float)m;
            scale[c] = (float)(1 / Math.Max(Math.Sqrt(var), 1e-3)) * (c >= BuiltinFeatures.ContentDims ? ProsodyWeight : 1f);
        }
        Normalise(x, mean, scale);
        int k = Math.Min(o.CodebookSize, Math.Max(2, n / o.FramesPerCode));
        var books = new float[o.NumQuantizers][];
        var usage = new List<LayerUsage>();
        var r = x;
        var assign = new int[n];
        for (int q = 0; q < o.NumQuantizers; q++)
        {
            books[q] = KMeans.Fit(q == 0 ? ContentOnly(r, n) : r, n, d, k, unchecked(o.Seed * 1000003 + q), o.MaxIterations, out int iters);
            KMeans.Assign(r, n, d, books[q], k, assign, null);
            var u = UsageOf(q + 1, k, assign);
            usage.Add(u);
            log?.Invoke($"layer {q + 1}: k={k}, {iters} Lloyd iterations, used {u.Used}/{k} ({u.UsedFraction:P0}), perplexity {u.Perplexity:F1}");
            Subtract(r, n, books[q], assign);
        }
        return new BuiltinTokenizer(mean, scale, books, o.CodebookSize, o.Seed, usage, n);
    }

    /// <summary>A copy with the prosody dims zeroed: layer 1's centroids come out zero there, which leaves the prosody
    /// whole in the residual and does not change the nearest centroid (the prosody adds the same distance to every one).</summary>
    private static float[] ContentOnly(float[] x, int n)
    {
        const int d = BuiltinFeatures.Dim;
        var c = (float[])x.Clone();
        for (int i = 0; i < n; i++) c.AsSpan(i * d + BuiltinFeatures.ContentDims, BuiltinFeatures.ProsodyDims).Clear();
        return c;
    }

    private static LayerUsage UsageOf(int layer, int k, int[] codes)
    {
        var counts = new int[k];
        foreach (var c in codes) counts[c]++;
        double h = 0;
        foreach (var c in counts)
            if (c > 0) { double p = (double)c / codes.Length; h -= p * Math.Log(p); }
        return new LayerUsage(layer, k, counts.Count(c => c > 0), Math.Exp(h));
    }

    /// <summary>Writes the folder; config.json (the marker <see cref="TokenizerLoader"/> looks for) goes last, so a half-written folder is never taken for a tokenizer.</summary>
    public void Save(string dir)
    {
        Directory.CreateDirectory(dir);
        var tensors = new List<(string, Tensor)>
        {
            ("feature_mean", Tensor.FromData(_mean, BuiltinFeatures.Dim)),
            ("feature_scale", Tensor.FromData(_scale, BuiltinFeatures.Dim)),
        };
        for (int q = 0; q < _codebooks.Length; q++) tensors.Add(($"codebook.{q}", Tensor.FromData(_codebooks[q], LayerSize(q), BuiltinFeatures.Dim)));
        SafeTensors.Save(Path.Combine(dir, CodebooksFile), tensors, new Dictionary<string, string> { ["format"] = Format });
        var usage = new JsonObject
        {
            ["fit_frames"] = FitFrames,
            ["layers"] = new JsonArray(Usage.Select(u => (JsonNode)new JsonObject
            {
                ["layer"] = u.Layer, ["size"] = u.Size, ["used"] = u.Used, ["used_fraction"] = u.UsedFraction, ["perplexity"] = u.Perplexity,
            }).ToArray()),
        };
        AtomicFile.WriteAllText(Path.Combine(dir, UsageFile), usage.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        var config = new JsonObject
        {
            ["format"] = Format,
            ["format_version"] = FormatVersion,
            ["sample_rate"] = SampleRate,
            ["hop_length"] = HopLength,
            ["n_fft"] = BuiltinFeatures.NFft,
            ["n_mels"] = BuiltinFeatures.NMels,
            ["feature_dim"] = BuiltinFeatures.Dim,
            ["num_quantizers"] = NumQuantizers,
            ["codebook_size"] = CodebookSize,
            ["layer_sizes"] = new JsonArray(Enumerable.Range(0, NumQuantizers).Select(q => (JsonNode)LayerSize(q)).ToArray()),
            ["seed"] = Seed,
        };
        AtomicFile.WriteAllText(Path.Combine(dir, ConfigFile), config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>True when <paramref name="dir"/> holds a built-in tokenizer's config.json.</summary>
    public static bool IsBuiltinFolder(string dir)
    {
        var cfg = Path.Combine(dir, ConfigFile);
        if (!File.Exists(cfg)) return false;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(cfg));
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("format", out var f) && f.ValueKind == JsonValueKind.String && f.GetString() == Format;
        }
        catch (JsonException) { return false; }
    }

    /// <summary>The RVQ layers, codebook size and seed from a built-in tokenizer folder's config.json (its codebooks are not read).</summary>
    internal static (int NumQuantizers, int CodebookSize, int Seed) ReadConfig(string dir)
    {
        var cfgPath = Path.Combine(dir, ConfigFile);
        if (!File.Exists(cfgPath)) throw new SpeechTokException($"{dir}: no {ConfigFile}; not a built-in tokenizer folder (fit one with `speechtok tokenizer fit`)");
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(cfgPath));
            var root = doc.RootElement;
            if (root.GetProperty("format").GetString() != Format) throw new SpeechTokException($"{cfgPath}: 'format' is not '{Format}'");
            int version = root.GetProperty("format_version").GetInt32();
            if (version != FormatVersion) throw new SpeechTokException($"{cfgPath}: format_version {version} is not supported (this build reads {FormatVersion})");
            int dim = root.GetProperty("feature_dim").GetInt32();
            if (dim != BuiltinFeatures.Dim || root.GetProperty("hop_length").GetInt32() != BuiltinFeatures.Hop || root.GetProperty("n_mels").GetInt32() != BuiltinFeatures.NMels)
                throw new SpeechTokException($"{cfgPath}: feature settings (dim {dim}) differ from this build's ({BuiltinFeatures.Dim}); refit the tokenizer");
            return (root.GetProperty("num_quantizers").GetInt32(), root.GetProperty("codebook_size").GetInt32(), root.GetProperty("seed").GetInt32());
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new SpeechTokException($"{cfgPath}: malformed built-in tokenizer config ({e.Message})", e);
        }
    }

    public static BuiltinTokenizer Load(string dir)
    {
        var (nq, size, seed) = ReadConfig(dir);
        var cbPath = Path.Combine(dir, CodebooksFile);
        if (!File.Exists(cbPath)) throw new SpeechTokException($"{cbPath}: missing (the tokenizer folder is incomplete)");
        float[] mean, scale;
        float[][] books;
        using (var t = SafeTensors.Open(cbPath))
        {
            float[] Get(string name, int rows, int cols)
            {
                if (!t.Contains(name)) throw new SpeechTokException($"{cbPath}: tensor '{name}' is missing");
                var shape = t.ShapeOf(name);
                bool ok = rows < 0 ? shape.Length == 1 && shape[0] == cols : shape.Length == 2 && shape[1] == cols && shape[0] >= 1 && shape[0] <= size;
                if (!ok) throw new SpeechTokException($"{cbPath}: tensor '{name}' has shape [{string.Join(",", shape)}], expected {(rows < 0 ? $"[{cols}]" : $"[1..{size}, {cols}]")}");
                using var v = t.Get(name);
                return v.ToArray();
            }
            mean = Get("feature_mean", -1, BuiltinFeatures.Dim);
            scale = Get("feature_scale", -1, BuiltinFeatures.Dim);
            books = Enumerable.Range(0, nq).Select(q => Get($"codebook.{q}", 0, BuiltinFeatures.Dim)).ToArray();
        }
        var usage = new List<LayerUsage>();
        int fitFrames = 0;
        var usagePath = Path.Combine(dir, UsageFile);
        if (File.Exists(usagePath))
        {
            try
            {
                using var u = JsonDocument.Parse(File.ReadAllBytes(usagePath));
                fitFrames = u.RootElement.GetProperty("fit_frames").GetInt32();
                foreach (var l in u.RootElement.GetProperty("layers").EnumerateArray())
                    usage.Add(new LayerUsage(l.GetProperty("layer").GetInt32(), l.GetProperty("size").GetInt32(), l.GetProperty("used").GetInt32(), l.GetProperty("perplexity").GetDouble()));
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                throw new SpeechTokException($"{usagePath}: malformed usage report ({e.Message})", e);
            }
        }
        return new BuiltinTokenizer(mean, scale, books, size, seed, usage, fitFrames);
    }

    /// <summary>Collects frames with a stride that doubles whenever the pool exceeds twice its budget, so memory stays bounded and the kept set depends only on the input order.</summary>
    private sealed class FramePool(int budget)
    {
        private readonly List<float[]> _rows = [];
        private int _stride = 1;
        private long _seen;

        public void Add(FrameMatrix f)
        {
            for (int t = 0; t < f.Frames; t++, _seen++)
                if (_seen % _stride == 0) _rows.Add(f.Row(t).ToArray());
            if (_rows.Count > 2 * budget)
            {
                // keep the rows whose global index is a multiple of the doubled stride (every other kept row)
                var kept = new List<float[]>(_rows.Count / 2 + 1);
                for (int i = 0; i < _rows.Count; i += 2) kept.Add(_rows[i]);
                _rows.Clear();
                _rows.AddRange(kept);
                _stride *= 2;
            }
        }

        public float[] ToArray(out int n)
        {
            n = _rows.Count;
            var x = new float[(long)n * BuiltinFeatures.Dim];
            for (int i = 0; i < n; i++) _rows[i].CopyTo(x, i * BuiltinFeatures.Dim);
            return x;
        }
    }
}
