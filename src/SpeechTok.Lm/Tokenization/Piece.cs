namespace SpeechTok.Lm.Tokenization;

/// <summary>
/// A piece of text during pre-tokenisation: <c>Text[Start, End)</c>. <see cref="First"/>: the piece begins the
/// input (HF's <c>offsets_original().0 == 0</c>, which Metaspace's <c>prepend_scheme: "first"</c> reads).
/// </summary>
internal readonly record struct Piece(string Text, int Start, int End, bool First)
{
    public ReadOnlySpan<char> Span => Text.AsSpan(Start, End - Start);

    /// <summary>The sub-range [start, end) of this piece; only a sub-piece at the piece's start keeps <see cref="First"/>.</summary>
    public Piece Sub(int start, int end) => new(Text, start, end, First && start == Start);
}
