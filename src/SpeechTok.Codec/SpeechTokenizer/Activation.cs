using SpeechTok.Tensors.Ops;

namespace SpeechTok.Codec.SpeechTokenizer;

/// <summary>ELU(α) or per-channel Snake, applied in place.</summary>
internal sealed unsafe class Activation(float eluAlpha, float[]? snakeAlpha)
{
    public static Activation Load(SpeechTokenizerConfig cfg, CheckpointWeights w, string prefix, int channels) =>
        cfg.IsSnake ? new Activation(0, w.Get(prefix + ".alpha", 1, channels, 1)) : new Activation(cfg.EluAlpha, null);

    public void Apply(float[] data, int channels, int length)
    {
        fixed (float* p = data)
        {
            if (snakeAlpha == null) CodecActivations.Elu(p, (long)channels * length, eluAlpha);
            else fixed (float* a = snakeAlpha) CodecActivations.Snake(p, channels, length, a);
        }
    }
}
