using SpeechTok.Lm.Tokenization;

namespace SpeechTok.Training;

/// <summary>
/// Turns generated token ids into text as they come (as transformers' <c>TextStreamer</c>): the continuation is decoded
/// after the prompt's tokens, never alone, since SentencePiece decoders drop the leading space of what they decode first;
/// and text that ends in U+FFFD is held back until the next token completes the character it begins (byte-level
/// tokenizers split multi-byte characters across tokens).
/// </summary>
public sealed class TextStreamer
{
    private readonly HfTokenizer _tokenizer;
    private readonly List<int> _ids;
    private readonly string _head;
    private string _printed = "";

    /// <param name="tokenizer">The model's tokenizer.</param>
    /// <param name="promptIds">The prompt's token ids, as encoded without special tokens.</param>
    public TextStreamer(HfTokenizer tokenizer, IEnumerable<int> promptIds)
    {
        _tokenizer = tokenizer;
        _ids = [.. promptIds];
        _head = tokenizer.Decode(_ids.ToArray());
    }

    /// <summary>Adds a generated id; returns the text that is now final (possibly empty).</summary>
    public string Put(int id)
    {
        _ids.Add(id);
        return Advance(Continuation().TrimEnd('\uFFFD'));
    }

    /// <summary>The rest, once generation ended (a character left incomplete stays U+FFFD).</summary>
    public string End() => Advance(Continuation());

    private string Continuation()
    {
        string all = _tokenizer.Decode(_ids.ToArray());
        return all.StartsWith(_head, StringComparison.Ordinal) ? all[_head.Length..] : _printed;
    }

    private string Advance(string text)
    {
        int common = 0;
        while (common < text.Length && common < _printed.Length && text[common] == _printed[common]) common++;
        // a later token rewrote text already printed (decoder clean-up): it cannot be taken back; go on from the new text
        string delta = common == _printed.Length ? text[common..] : text.Length > _printed.Length ? text[_printed.Length..] : "";
        _printed = text;
        return delta;
    }
}
