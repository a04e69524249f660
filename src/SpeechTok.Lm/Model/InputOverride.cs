using SpeechTok.Tensors;

namespace SpeechTok.Lm.Model;

/// <summary>
/// Soft input vectors that replace the token embeddings at some positions of a batch, e.g. one projected audio
/// embedding between the audio markers (the paper's "LLM + BYOL-A" comparison). <see cref="Positions"/>[i] is a
/// flat position b·T + t of the [batch, seq] ids; <see cref="Values"/> is [Positions.Length, hidden]. A training
/// step writes ∂loss/∂(input vector) of every replaced position into <see cref="Grad"/> ([Positions.Length, hidden],
/// overwritten), for the caller's backward into whatever produced the vectors.
/// </summary>
public sealed unsafe class InputOverride
{
    public int[] Positions { get; }
    public float[] Values { get; }
    public float[] Grad { get; }
    private readonly int _hidden;

    public InputOverride(int[] positions, float[] values, int hidden)
    {
        if (values.Length != positions.Length * hidden) throw ShapeMismatchException.Of("input override values", [values.Length], [positions.Length, hidden]);
        if (positions.Distinct().Count() != positions.Length) throw new SpeechTokException("input override: a position is replaced twice");
        Positions = positions;
        Values = values;
        Grad = new float[values.Length];
        _hidden = hidden;
    }

    /// <summary>Overwrites the rows of the embedding output x [batch rows, hidden] at <see cref="Positions"/>.</summary>
    internal void Apply(float* x, PackedBatch batch, int hidden)
    {
        if (hidden != _hidden) throw ShapeMismatchException.Of("input override vs model hidden size", [_hidden], [hidden]);
        for (int i = 0; i < Positions.Length; i++)
            Values.AsSpan(i * hidden, hidden).CopyTo(new Span<float>(x + (long)batch.RowOfFlat(Positions[i]) * hidden, hidden));
    }

    /// <summary>Copies the rows of dx [batch rows, hidden] (the gradient of the embedding output) at <see cref="Positions"/> into <see cref="Grad"/>.</summary>
    internal void CollectGrad(float* dx, PackedBatch batch)
    {
        for (int i = 0; i < Positions.Length; i++)
            new ReadOnlySpan<float>(dx + (long)batch.RowOfFlat(Positions[i]) * _hidden, _hidden).CopyTo(Grad.AsSpan(i * _hidden, _hidden));
    }

    /// <summary>Whether every position is a real token of rows of these lengths (so a packed batch holds it).</summary>
    internal bool Within(int[] lengths, int t) => Positions.All(p => p / t < lengths.Length && p % t < lengths[p / t]);
}
