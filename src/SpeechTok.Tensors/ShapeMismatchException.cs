namespace SpeechTok.Tensors;

/// <summary>Two operands whose shapes do not fit; the message names both shapes.</summary>
public sealed class ShapeMismatchException(string message) : SpeechTokException(message)
{
    public static string Format(ReadOnlySpan<int> shape) => "[" + string.Join(", ", shape.ToArray()) + "]";

    public static ShapeMismatchException Of(string what, ReadOnlySpan<int> a, ReadOnlySpan<int> b) =>
        new($"{what}: shapes {Format(a)} and {Format(b)} do not match");
}
