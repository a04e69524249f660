namespace SpeechTok.Codec;

/// <summary>
/// Turns 16 kHz mono audio into residual-VQ codes: <c>codes[q][t]</c> for quantizer layer q (0 = the
/// coarsest / "semantic" layer) and frame t (50 Hz for hop 320).
/// </summary>
public interface ISpeechTokenizer
{
    int SampleRate { get; }
    int HopLength { get; }
    int NumQuantizers { get; }
    int CodebookSize { get; }

    int[][] Encode(ReadOnlySpan<float> wav);
}
