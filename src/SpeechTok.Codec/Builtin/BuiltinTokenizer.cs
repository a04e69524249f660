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
    public const string ConfigFile = BuiltinTokenizerConfig.FileName, CodebooksFile = "codebooks.safetensors", UsageFile = BuiltinTokenizerUsage.FileName;
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
            if (q == 0 && u.Used == 1)
                log?.Invoke($"warning: layer 1 uses 1 of its {k} codes: the {n} fitting frames do not differ in spectral shape (digital silence, or one "
                    + "repeated sound?), so every frame of every clip gets the same layer-1 code");
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
        return new LayerUsage { Layer = layer, Size = k, Used = counts.Count(c => c > 0), Perplexity = Math.Exp(h) };
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
        new BuiltinTokenizerUsage { FitFrames = FitFrames, Layers = Usage }.Save(Path.Combine(dir, UsageFile));
        BuiltinTokenizerConfig.Of(CodebookSize, Enumerable.Range(0, NumQuantizers).Select(LayerSize).ToArray(), Seed).Save(dir);
    }

    /// <summary>True when <paramref name="dir"/> holds a built-in tokenizer's config.json (its format tag; the rest is checked on load).</summary>
    public static bool IsBuiltinFolder(string dir) => ArtifactJson.IsTagged(Path.Combine(dir, ConfigFile), BuiltinTokenizerConfig.Kind);

    public static BuiltinTokenizer Load(string dir)
    {
        var config = BuiltinTokenizerConfig.LoadFrom(dir);
        var cbPath = Path.Combine(dir, CodebooksFile);
        if (!File.Exists(cbPath)) throw new SpeechTokException($"{cbPath}: missing (the tokenizer folder is incomplete)");
        float[] mean, scale;
        float[][] books;
        using (var t = SafeTensors.Open(cbPath))
        {
            float[] Get(string name, params int[] expected)
            {
                if (!t.Contains(name)) throw new SpeechTokException($"{cbPath}: tensor '{name}' is missing");
                var shape = t.ShapeOf(name);
                if (!shape.SequenceEqual(expected))
                    throw new SpeechTokException($"{cbPath}: tensor '{name}' has shape [{string.Join(",", shape)}], expected [{string.Join(",", expected)}]"
                        + (expected.Length == 2 ? $" ({ConfigFile}'s layer_sizes)" : ""));
                using var v = t.Get(name);
                return v.ToArray();
            }
            mean = Get("feature_mean", BuiltinFeatures.Dim);
            scale = Get("feature_scale", BuiltinFeatures.Dim);
            books = Enumerable.Range(0, config.NumQuantizers).Select(q => Get($"codebook.{q}", config.LayerSizes[q], BuiltinFeatures.Dim)).ToArray();
        }
        var usagePath = Path.Combine(dir, UsageFile);
        var usage = File.Exists(usagePath) ? BuiltinTokenizerUsage.Load(usagePath) : null;
        return new BuiltinTokenizer(mean, scale, books, config.CodebookSize, config.Seed, usage?.Layers ?? [], usage?.FitFrames ?? 0);
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
