namespace SpeechTok.Tensors;

public static class DTypeExtensions
{
    public static int Size(this DType t) => t == DType.F32 ? 4 : 2;

    /// <summary>The safetensors dtype string.</summary>
    public static string SafetensorsName(this DType t) => t switch
    {
        DType.F32 => "F32",
        DType.BF16 => "BF16",
        DType.F16 => "F16",
        _ => throw new ArgumentOutOfRangeException(nameof(t)),
    };
}
