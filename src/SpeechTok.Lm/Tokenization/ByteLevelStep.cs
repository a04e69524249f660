namespace SpeechTok.Lm.Tokenization;

/// <summary>
/// HF <c>ByteLevel</c> pre-tokenizer, its splitting part: <c>add_prefix_space</c> prepends a space to a piece that
/// does not start with one, <c>use_regex</c> splits with the GPT-2 pattern. The byte-to-character mapping itself
/// happens when a piece reaches the BPE model (it must be the last step).
/// </summary>
internal sealed class ByteLevelStep(bool addPrefixSpace, bool useRegex) : PreTokenizerStep
{
    private static readonly SplitStep Gpt2 = new(PatternScanner.ForPattern(PatternScanner.Gpt2Pattern)!, SplitStep.Behavior.Isolated);

    public override void Split(Piece piece, List<Piece> output)
    {
        if (piece.End == piece.Start) return;
        if (addPrefixSpace && piece.Text[piece.Start] != ' ')
        {
            string s = " " + piece.Span.ToString();
            piece = new Piece(s, 0, s.Length, piece.First);
        }
        if (useRegex) Gpt2.Split(piece, output);
        else output.Add(piece);
    }
}
