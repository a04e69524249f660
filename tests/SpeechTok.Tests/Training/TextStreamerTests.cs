using SpeechTok.Lm.Tokenization;
using SpeechTok.Tests.Conformance;
using SpeechTok.Training;

namespace SpeechTok.Tests.Training;

public sealed class TextStreamerTests
{
    /// <summary>Streams <paramref name="continuation"/>'s tokens after <paramref name="prompt"/>'s; returns the pieces printed.</summary>
    private static List<string> Stream(HfTokenizer tok, string prompt, string continuation, out List<string> decodedAlongTheWay)
    {
        var all = new List<int>();
        tok.EncodeTo(prompt + continuation, all);
        int k = Enumerable.Range(0, all.Count + 1).Last(n => tok.Decode(all.Take(n).ToArray()) == prompt); // the prompt's own tokens
        var streamer = new TextStreamer(tok, all.Take(k));
        var pieces = new List<string>();
        decodedAlongTheWay = [];
        for (int i = k; i < all.Count; i++)
        {
            pieces.Add(streamer.Put(all[i]));
            decodedAlongTheWay.Add(tok.Decode(all.Take(i + 1).ToArray()));
        }
        pieces.Add(streamer.End());
        return pieces;
    }

    /// <summary>Byte-level BPE (the built-in LM's) splits multi-byte characters across tokens: printing each step's decode
    /// showed U+FFFD for them and then dropped the completed character.</summary>
    [Fact]
    public void Multi_byte_characters_split_across_tokens_are_printed_once_complete()
    {
        var tok = HfTokenizer.Load(Path.Combine(FixtureRoot.RepoRoot, "models", "builtin-lm"));
        const string continuation = " café 日本 🎉 done";
        var pieces = Stream(tok, "Hello", continuation, out var along);
        Assert.Contains(along, d => d.EndsWith('\uFFFD')); // the case this is about occurs
        Assert.Equal(continuation, string.Concat(pieces));
        Assert.DoesNotContain(pieces, p => p.Contains('\uFFFD'));
    }

    [Fact]
    public void SentencePiece_keeps_the_space_before_the_first_new_word_and_a_cut_character_ends_as_replacement()
    {
        var tok = HfTokenizer.Load(Conformance.TokenizerDifferentialTests.FilePath("llama2"));
        Assert.Equal(" world again", string.Concat(Stream(tok, "Hello", " world again", out _)));

        var bytes = HfTokenizer.Load(Path.Combine(FixtureRoot.RepoRoot, "models", "builtin-lm"));
        var prompt = new List<int>();
        bytes.EncodeTo("Hi", prompt);
        var emoji = new List<int>();
        bytes.EncodeTo("🎉", emoji);
        Assert.True(emoji.Count > 1, "the emoji is one token: no partial character to test");
        var streamer = new TextStreamer(bytes, prompt);
        Assert.Equal("", streamer.Put(emoji[0])); // held back
        Assert.Equal("\uFFFD", streamer.End()); // generation stopped mid-character: shown as HF's decode shows it
    }
}
