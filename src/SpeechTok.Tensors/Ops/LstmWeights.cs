namespace SpeechTok.Tensors.Ops;

/// <summary>
/// Weights of one direction of one LSTM layer in PyTorch layout: gates stacked as (i, f, g, o);
/// weight_ih [4H, in], weight_hh [4H, H], bias = bias_ih + bias_hh [4H].
/// </summary>
public sealed class LstmWeights
{
    public LstmWeights(float[] weightIh, float[] weightHh, float[] bias, int inputSize, int hidden)
    {
        if (weightIh.Length != 4 * hidden * inputSize || weightHh.Length != 4 * hidden * hidden || bias.Length != 4 * hidden)
            throw new ShapeMismatchException($"LSTM weights do not fit input size {inputSize} and hidden size {hidden}");
        WeightIh = weightIh;
        WeightHh = weightHh;
        Bias = bias;
        InputSize = inputSize;
        Hidden = hidden;
    }

    public float[] WeightIh { get; }
    public float[] WeightHh { get; }
    public float[] Bias { get; }
    public int InputSize { get; }
    public int Hidden { get; }
}
