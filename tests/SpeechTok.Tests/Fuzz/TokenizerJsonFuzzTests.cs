using System.Text;
using System.Text.Json.Nodes;
using SpeechTok.Lm.Tokenization;
using SpeechTok.Tests.Lm;
using Xunit.Abstractions;

namespace SpeechTok.Tests.Fuzz;

/// <summary>
/// tokenizer.json (byte-level BPE): JSON-aware mutations of the vocabulary, merges, added tokens, pre-tokenizer,
/// post-processor and decoder, and byte mutations; a tokenizer that loads is then used (encode with and without
/// the template, decode, add tokens), since a structure accepted at load time must not crash later.
/// </summary>
public sealed class TokenizerJsonFuzzTests(ITestOutputHelper output, FuzzLog log) : IClassFixture<FuzzLog>
{
    private static readonly string[] Texts = ["hello world", " héllo\n\n aa  ", "<s>x</s>", "日本語 🎉 123 'll", ""];

    [Fact]
    public void MutatedTokenizersFailOnlyWithANamedError()
    {
        string[] seeds =
        [
            TinyTokenizer.Json().ToJsonString(),
            TinyTokenizer.Json(stringMerges: false, ignoreMerges: false, postProcessor: TinyTokenizer.BosTemplate(),
                addedTokens: new JsonArray(TinyTokenizer.Added("<s>", 266, special: true), TinyTokenizer.Added("</s>", 267, special: true, lstrip: true, rstrip: true),
                    TinyTokenizer.Added("aa", 264, special: false, singleWord: true))).ToJsonString(),
        ];
        Fuzzer.Run(line => log.Report(output, line), "tokenizer.json", seed: 1304, (m, i) =>
        {
            string json = m.Pick(seeds);
            var bytes = m.Chance(0.85) ? Encoding.UTF8.GetBytes(m.Json(json)) : m.Bytes(Encoding.UTF8.GetBytes(json));
            return new() { ["tokenizer.json"] = bytes };
        }, dir =>
        {
            var tok = HfTokenizer.Load(Path.Combine(dir, "tokenizer.json"), bosToken: dir.Length % 2 == 0 ? null : "<s>");
            foreach (var text in Texts)
            {
                var ids = tok.Encode(text, addSpecialTokens: true);
                Assert.All(ids, id => Assert.InRange(id, 0, tok.VocabSize - 1));
                tok.Decode(ids, skipSpecialTokens: true);
                tok.Decode(tok.Encode(text));
            }
            tok.AddTokens(["<a1>", "<a2>"], special: false);
            tok.Encode("x<a1>y");
        }).RequireShares(accepted: 0.05, rejected: 0.40); // this seed: 14.9 % accepted, 85.1 % rejected
    }
}
