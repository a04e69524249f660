namespace SpeechTok.Tensors;

/// <summary>Element type of a tensor's storage. Compute is always float32; BF16/F16 are upcast on use.</summary>
public enum DType
{
    F32,
    BF16,
    F16,
}
