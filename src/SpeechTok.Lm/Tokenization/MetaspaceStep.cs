namespace SpeechTok.Lm.Tokenization;

/// <summary>
/// HF <c>Metaspace</c> pre-tokenizer (SentencePiece style): spaces become <c>replacement</c> (▁), which is
/// prepended to the piece (<c>prepend_scheme</c> <c>always</c>; <c>first</c>: only to the piece that begins the
/// input; <c>never</c>) unless it already starts with it, then, with <c>split</c>, the piece is split before
/// every ▁ (<c>MergedWithNext</c>).
/// </summary>
internal sealed class MetaspaceStep : PreTokenizerStep
{
    public enum Scheme { Always, First, Never }

    private readonly string _replacement;
    private readonly Scheme _scheme;
    private readonly SplitStep? _split;

    public MetaspaceStep(string replacement, Scheme scheme, bool split)
    {
        _replacement = replacement;
        _scheme = scheme;
        int cp = char.ConvertToUtf32(replacement, 0);
        _split = split ? new SplitStep(new CharPattern(c => c == cp), SplitStep.Behavior.MergedWithNext) : null;
    }

    public override void Split(Piece piece, List<Piece> output)
    {
        string s = piece.Span.ToString().Replace(" ", _replacement, StringComparison.Ordinal);
        bool prepend = s.Length > 0 && !s.StartsWith(_replacement, StringComparison.Ordinal)
            && (_scheme == Scheme.Always || (_scheme == Scheme.First && piece.First));
        if (prepend) s = _replacement + s;
        var p = new Piece(s, 0, s.Length, piece.First);
        if (_split != null) _split.Split(p, output);
        else if (s.Length > 0) output.Add(p);
    }
}
