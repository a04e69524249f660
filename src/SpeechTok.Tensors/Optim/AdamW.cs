using System.Globalization;
using System.Numerics;
using SpeechTok.Tensors.IO;

namespace SpeechTok.Tensors.Optim;

/// <summary>
/// torch.optim.AdamW (amsgrad off, maximize off), step t:
/// p ← p·(1 − lr·wd); m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²;
/// p ← p − (lr/(1−β₁ᵗ))·m / (√v/√(1−β₂ᵗ) + ε).
/// Element-wise arithmetic is float32 in torch's order of operations; the bias corrections are
/// computed in double as Python does. State exists only for the trained elements of each parameter.
/// </summary>
public sealed class AdamW
{
    private const string Format = "speechtok-adamw-v1";

    private readonly Parameter[] _params;
    private readonly Tensor[] _m, _v;

    public double Lr { get; set; }
    public double Beta1 { get; }
    public double Beta2 { get; }
    public double Eps { get; }
    public double WeightDecay { get; }

    /// <summary>Number of steps taken (torch's per-parameter "step"; all parameters step together here).</summary>
    public long StepCount { get; private set; }

    public IReadOnlyList<Parameter> Parameters => _params;

    /// <summary>Defaults are torch's: lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight_decay 0.01.</summary>
    public AdamW(IEnumerable<Parameter> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0.01)
    {
        _params = parameters.ToArray();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in _params)
            if (!names.Add(p.Name)) throw new SpeechTokException($"AdamW: parameter name '{p.Name}' appears twice");
        if (!(lr >= 0) || !(eps >= 0) || !(weightDecay >= 0)) throw new SpeechTokException($"AdamW: invalid lr {lr}, eps {eps} or weight decay {weightDecay}");
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) throw new SpeechTokException($"AdamW: betas ({beta1}, {beta2}) must be in [0, 1)");
        Lr = lr;
        Beta1 = beta1;
        Beta2 = beta2;
        Eps = eps;
        WeightDecay = weightDecay;
        _m = _params.Select(p => Tensor.Zeros(p.Grad.Shape)).ToArray();
        _v = _params.Select(p => Tensor.Zeros(p.Grad.Shape)).ToArray();
    }

    /// <summary>One update of every parameter from its current gradient (which is left as is).</summary>
    public void Step()
    {
        StepCount++;
        double bc1 = 1 - Math.Pow(Beta1, StepCount);
        double bc2Sqrt = Math.Sqrt(1 - Math.Pow(Beta2, StepCount));
        var k = new Coefficients
        {
            StepSize = (float)(Lr / bc1),
            Bc2Sqrt = (float)bc2Sqrt,
            Eps = (float)Eps,
            B1 = (float)Beta1,
            OneMinusB1 = (float)(1 - Beta1),
            B2 = (float)Beta2,
            OneMinusB2 = (float)(1 - Beta2),
        };
        for (int i = 0; i < _params.Length; i++)
        {
            var p = _params[i];
            float decay = p.Decay ? (float)(1 - Lr * WeightDecay) : 1f;
            Update(p.Data, p.Grad.ReadOnlySpan, _m[i].Span, _v[i].Span, decay, k);
        }
    }

    public void ZeroGrad()
    {
        foreach (var p in _params) p.ZeroGrad();
    }

    private struct Coefficients
    {
        public float StepSize, Bc2Sqrt, Eps, B1, OneMinusB1, B2, OneMinusB2;
    }

    // No fused multiply-add anywhere: SIMD lanes and the scalar tail then round identically, so results do
    // not depend on the vector width or on where a parameter's length splits.
    private static void Update(Span<float> p, ReadOnlySpan<float> g, Span<float> m, Span<float> v, float decay, in Coefficients k)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vDecay = new Vector<float>(decay);
            var vB1 = new Vector<float>(k.B1);
            var v1B1 = new Vector<float>(k.OneMinusB1);
            var vB2 = new Vector<float>(k.B2);
            var v1B2 = new Vector<float>(k.OneMinusB2);
            var vBc2 = new Vector<float>(k.Bc2Sqrt);
            var vEps = new Vector<float>(k.Eps);
            var vStep = new Vector<float>(k.StepSize);
            int w = Vector<float>.Count;
            for (; i + w <= p.Length; i += w)
            {
                var gi = new Vector<float>(g[i..]);
                var pi = new Vector<float>(p[i..]) * vDecay;
                var mi = new Vector<float>(m[i..]) * vB1 + gi * v1B1;
                var vi = new Vector<float>(v[i..]) * vB2 + gi * gi * v1B2;
                var denom = Vector.SquareRoot(vi) / vBc2 + vEps;
                pi -= vStep * (mi / denom);
                mi.CopyTo(m[i..]);
                vi.CopyTo(v[i..]);
                pi.CopyTo(p[i..]);
            }
        }
        for (; i < p.Length; i++)
        {
            float gi = g[i];
            float pi = p[i] * decay;
            float mi = m[i] * k.B1 + gi * k.OneMinusB1;
            float vi = v[i] * k.B2 + gi * gi * k.OneMinusB2;
            float denom = MathF.Sqrt(vi) / k.Bc2Sqrt + k.Eps;
            pi -= k.StepSize * (mi / denom);
            m[i] = mi;
            v[i] = vi;
            p[i] = pi;
        }
    }

    /// <summary>
    /// Writes the optimizer state (exp_avg, exp_avg_sq per parameter, the step count and hyper-parameters)
    /// as safetensors, atomically. Reloading it gives bit-identical continued training.
    /// </summary>
    public void Save(string path)
    {
        var meta = new Dictionary<string, string>
        {
            ["format"] = Format,
            ["step"] = StepCount.ToString(CultureInfo.InvariantCulture),
            ["lr"] = Lr.ToString("R", CultureInfo.InvariantCulture),
            ["beta1"] = Beta1.ToString("R", CultureInfo.InvariantCulture),
            ["beta2"] = Beta2.ToString("R", CultureInfo.InvariantCulture),
            ["eps"] = Eps.ToString("R", CultureInfo.InvariantCulture),
            ["weight_decay"] = WeightDecay.ToString("R", CultureInfo.InvariantCulture),
        };
        var tensors = new List<(string, Tensor)>();
        for (int i = 0; i < _params.Length; i++)
        {
            tensors.Add((_params[i].Name + ".exp_avg", _m[i]));
            tensors.Add((_params[i].Name + ".exp_avg_sq", _v[i]));
            if (_params[i].IsRowSubset) meta[_params[i].Name + ".rows"] = $"{_params[i].RowStart},{_params[i].RowCount}";
        }
        SafeTensors.Save(path, tensors, meta);
    }

    /// <summary>
    /// Restores state written by <see cref="Save"/> for the same parameters (names, shapes, row ranges).
    /// The learning rate is restored too (a scheduler sets it again before the next step anyway).
    /// </summary>
    public void Load(string path)
    {
        using var st = SafeTensors.Open(path);
        string Meta(string key) => st.Metadata.TryGetValue(key, out var s) ? s
            : throw new SpeechTokException($"optimizer state '{path}': metadata '{key}' is missing");
        if (Meta("format") != Format) throw new SpeechTokException($"optimizer state '{path}': format '{Meta("format")}' is not {Format}");
        if (!long.TryParse(Meta("step"), NumberStyles.None, CultureInfo.InvariantCulture, out long step))
            throw new SpeechTokException($"optimizer state '{path}': step '{Meta("step")}' is not a non-negative integer");
        foreach (var (key, value) in new[] { ("beta1", Beta1), ("beta2", Beta2), ("eps", Eps), ("weight_decay", WeightDecay) })
            if (Meta(key) != value.ToString("R", CultureInfo.InvariantCulture))
                throw new SpeechTokException($"optimizer state '{path}': {key} was {Meta(key)}, this optimizer has {value.ToString("R", CultureInfo.InvariantCulture)}");
        if (!double.TryParse(Meta("lr"), NumberStyles.Float, CultureInfo.InvariantCulture, out double lr))
            throw new SpeechTokException($"optimizer state '{path}': lr '{Meta("lr")}' is not a number");

        // Validate everything before changing anything, so a bad file leaves the optimizer as it was.
        for (int i = 0; i < _params.Length; i++)
        {
            var p = _params[i];
            string rows = p.IsRowSubset ? $"{p.RowStart},{p.RowCount}" : "";
            string savedRows = st.Metadata.TryGetValue(p.Name + ".rows", out var r) ? r : "";
            if (rows != savedRows)
                throw new SpeechTokException($"optimizer state '{path}': parameter '{p.Name}' trains rows '{rows}' but the state has '{savedRows}'");
            foreach (var suffix in new[] { ".exp_avg", ".exp_avg_sq" })
            {
                if (!st.Contains(p.Name + suffix)) throw new SpeechTokException($"optimizer state '{path}': tensor '{p.Name + suffix}' is missing");
                if (st.DTypeOf(p.Name + suffix) != "F32") throw new SpeechTokException($"optimizer state '{path}': tensor '{p.Name + suffix}' is {st.DTypeOf(p.Name + suffix)}, not F32");
                var shape = st.ShapeOf(p.Name + suffix);
                if (!shape.AsSpan().SequenceEqual(p.Grad.Shape))
                    throw new SpeechTokException($"optimizer state '{path}': tensor '{p.Name + suffix}' has shape {ShapeMismatchException.Format(shape)}, parameter has {ShapeMismatchException.Format(p.Grad.Shape)}");
            }
        }
        for (int i = 0; i < _params.Length; i++)
        {
            using (var m = st.Get(_params[i].Name + ".exp_avg")) m.CopyTo(0, _m[i].Span);
            using (var v = st.Get(_params[i].Name + ".exp_avg_sq")) v.CopyTo(0, _v[i].Span);
        }
        StepCount = step;
        Lr = lr;
    }
}
