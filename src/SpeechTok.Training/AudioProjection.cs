using System.Runtime.CompilerServices;
using SpeechTok.Lm.Model;
using SpeechTok.Tensors;
using SpeechTok.Tensors.IO;
using SpeechTok.Tensors.Ops;

namespace SpeechTok.Training;

/// <summary>
/// The audio-vector system's trained linear projection (the paper's "+BYOL-A" comparison, as in LLaVA-style
/// adapters): v = W·x + b maps a normalised utterance vector x [dim] to one soft input vector v [hidden] that
/// replaces the embedding of the <c>&lt;|audio_vector|&gt;</c> slot between the audio markers. W [hidden, dim]
/// starts N(0, σ²/dim) with σ the RMS of the checkpoint's token embeddings, so v starts at the scale of a token
/// embedding for unit-variance x; b starts at 0. Trained with LoRA and the head, per seed.
/// </summary>
public sealed unsafe class AudioProjection
{
    public const string WeightName = "audio_projection.weight", BiasName = "audio_projection.bias", FileName = "audio_projection.safetensors";

    public int Dim { get; }
    public int Hidden { get; }
    /// <summary>Token id of the slot whose embedding <see cref="Forward"/> replaces.</summary>
    public int SlotId { get; }
    public float[] Weight { get; }
    public float[] Bias { get; }
    public float[] WeightGrad { get; }
    public float[] BiasGrad { get; }
    private float[] _x = []; // the inputs of the last forward, [rows with a slot, dim]

    private AudioProjection(int dim, int hidden, int slotId)
    {
        Dim = dim; Hidden = hidden; SlotId = slotId;
        Weight = GC.AllocateArray<float>(hidden * dim, pinned: true);
        Bias = GC.AllocateArray<float>(hidden, pinned: true);
        WeightGrad = GC.AllocateArray<float>(hidden * dim, pinned: true);
        BiasGrad = GC.AllocateArray<float>(hidden, pinned: true);
    }

    /// <summary>A freshly initialised projection for <paramref name="weights"/>' hidden size (seeded).</summary>
    public static AudioProjection Create(LlamaWeights weights, int dim, int slotId, ulong seed)
    {
        if (dim < 1) throw new SpeechTokException($"audio vector dimension must be positive (got {dim})");
        var p = new AudioProjection(dim, weights.Config.HiddenSize, slotId);
        Rng.ForPurpose(seed, WeightName).FillNormal(p.Weight, 0, EmbeddingRms(weights.EmbedTokens) / Math.Sqrt(dim));
        return p;
    }

    /// <summary>RMS of the embedding table's entries, over at most 4096 evenly spaced rows (the table may be large and 16-bit).</summary>
    private static double EmbeddingRms(Tensor table)
    {
        int rows = table.Shape[0], h = table.Shape[1], step = Math.Max(1, rows / 4096);
        var row = new float[h];
        double sq = 0;
        long n = 0;
        for (int r = 0; r < rows; r += step, n += h)
        {
            table.CopyTo((long)r * h, row);
            foreach (var v in row) sq += (double)v * v;
        }
        return Math.Sqrt(sq / n);
    }

    /// <summary>Weight and bias with their gradient buffers, for the optimizer and checkpoints.</summary>
    public IEnumerable<(string Name, Tensor Tensor, float[] Grad)> Trainables()
    {
        yield return (WeightName, Checkpoint.Alias(Weight, Hidden, Dim), WeightGrad);
        yield return (BiasName, Checkpoint.Alias(Bias, Hidden), BiasGrad);
    }

    /// <summary>
    /// The soft vectors of a batch: for every row b whose ids hold the slot at t, W·vectors[b] + b at position b·T + t.
    /// A row whose slot was cut by truncation gets none. Keeps the inputs for <see cref="Backward"/>.
    /// </summary>
    public InputOverride Forward(ReadOnlySpan<int> ids, int b, int t, IReadOnlyList<float[]> vectors)
    {
        if (vectors.Count != b) throw ShapeMismatchException.Of("audio vectors vs batch", [vectors.Count], [b]);
        var positions = new List<int>();
        var x = new List<float>();
        for (int bi = 0; bi < b; bi++)
        {
            int at = ids.Slice(bi * t, t).IndexOf(SlotId);
            if (at < 0) continue;
            if (vectors[bi].Length != Dim) throw ShapeMismatchException.Of("audio vector", [vectors[bi].Length], [Dim]);
            positions.Add(bi * t + at);
            x.AddRange(vectors[bi]);
        }
        _x = x.ToArray();
        int m = positions.Count;
        var values = new float[m * Hidden];
        if (m > 0)
            fixed (float* xp = _x, yp = values)
            {
                Linear.Forward(yp, xp, Ptr(Weight), m, Dim, Hidden);
                for (int i = 0; i < m; i++) Elementwise.AddInPlace(yp + (long)i * Hidden, Ptr(Bias), Hidden);
            }
        return new InputOverride(positions.ToArray(), values, Hidden);
    }

    /// <summary>Accumulates dW += dVᵀ·x and db += Σ dV from the gradient the model wrote into <paramref name="inputs"/>.</summary>
    public void Backward(InputOverride inputs)
    {
        int m = inputs.Positions.Length;
        if (m == 0) return;
        if (_x.Length != m * Dim) throw new InvalidOperationException("audio projection backward does not match its forward");
        fixed (float* xp = _x, dy = inputs.Grad)
        {
            Linear.Backward(null, Ptr(WeightGrad), dy, xp, Ptr(Weight), m, Dim, Hidden);
            for (int i = 0; i < m; i++) Elementwise.AddInPlace(Ptr(BiasGrad), dy + (long)i * Hidden, Hidden);
        }
    }

    public void Save(string dir) => SafeTensors.Save(Path.Combine(dir, FileName), Trainables().Select(p => (p.Name, p.Tensor)));

    /// <summary>Loads a seed's saved projection, checking names and shapes.</summary>
    public void Load(string dir)
    {
        string path = Path.Combine(dir, FileName);
        if (!File.Exists(path)) throw new SpeechTokException($"audio projection '{path}' not found");
        using var st = SafeTensors.Open(path);
        foreach (var (name, dst, _) in Trainables())
        {
            if (!st.Contains(name)) throw new SpeechTokException($"{path}: tensor '{name}' is missing");
            using var t = st.Get(name);
            t.ExpectShape($"{path}: {name}", dst.Shape);
            t.CopyTo(0, dst.Span);
        }
    }

    private static float* Ptr(float[] a) => (float*)Unsafe.AsPointer(ref a[0]);
}
