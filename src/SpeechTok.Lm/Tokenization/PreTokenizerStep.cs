namespace SpeechTok.Lm.Tokenization;

/// <summary>One step of a <c>pre_tokenizer</c>: turns a piece of text into smaller (or rewritten) pieces,
/// appending only non-empty ones (HF drops empty splits).</summary>
internal abstract class PreTokenizerStep
{
    public abstract void Split(Piece piece, List<Piece> output);
}
