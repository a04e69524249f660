namespace SpeechTok.Audio.Features;

/// <summary>A frame-major real matrix: <c>Data[t * Cols + c]</c> for frame t.</summary>
public sealed class FrameMatrix(int frames, int cols)
{
    public int Frames { get; } = frames;
    public int Cols { get; } = cols;
    public float[] Data { get; } = new float[(long)frames * cols];
    public Span<float> Row(int t) => Data.AsSpan(t * Cols, Cols);
}
