namespace SpeechTok.Lm.Tokenization;

/// <summary>A split pattern (HF <c>Pattern::find_matches</c>): appends (start, end, isMatch) spans that cover
/// <c>text[start, end)</c> in order: the matches and the gaps between them.</summary>
internal abstract class SplitPattern
{
    public abstract void FindMatches(string text, int start, int end, List<(int Start, int End, bool IsMatch)> output);
}
