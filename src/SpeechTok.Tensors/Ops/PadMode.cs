namespace SpeechTok.Tensors.Ops;

/// <summary>How a signal is extended past its ends (SEANet convolutions, STFT framing).</summary>
public enum PadMode
{
    /// <summary>Zeros (PyTorch/numpy 'constant'; librosa ≥ 0.9's STFT default).</summary>
    Zero,
    /// <summary>Mirror without repeating the edge sample (numpy 'reflect'; librosa ≤ 0.8's STFT default).</summary>
    Reflect,
}
