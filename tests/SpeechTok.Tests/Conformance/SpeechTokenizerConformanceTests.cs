using System.Text.Json;
using SpeechTok.Audio;
using SpeechTok.Codec.SpeechTokenizer;

namespace SpeechTok.Tests.Conformance;

/// <summary>Every speechtokenizer-* fixture: codes equal the original's exactly, from model.pt and model.safetensors.</summary>
[Trait("Category", "Conformance")]
public sealed class SpeechTokenizerConformanceTests
{
    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var f in FixtureRoot.Folders("speechtokenizer-"))
            foreach (var ckpt in new[] { "model.pt", "model.safetensors" })
                data.Add(Path.GetFileName(f), ckpt);
        return data;
    }

    private static int[][] Ints(JsonElement e) => e.EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetInt32()).ToArray()).ToArray();

    [Theory]
    [MemberData(nameof(Cases))]
    public void CodesMatchTheOriginal(string folder, string checkpoint)
    {
        var dir = FixtureRoot.Folder(folder);
        var model = SpeechTokenizerModel.Load(dir, Path.Combine(dir, checkpoint));
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "expected_codes.json")));
        var root = doc.RootElement;
        Assert.Equal(root.GetProperty("n_q").GetInt32(), model.NumQuantizers);
        Assert.Equal(root.GetProperty("hop_length").GetInt32(), model.HopLength);
        Assert.Equal(root.GetProperty("codebook_size").GetInt32(), model.CodebookSize);
        int files = 0;
        foreach (var file in root.GetProperty("files").EnumerateObject())
        {
            var (wav, _) = WavReader.Read(Path.Combine(dir, file.Name));
            var exp = file.Value;
            Assert.Equal(exp.GetProperty("num_samples").GetInt32(), wav.Length);

            var e = model.Features([wav])[0];
            int t = exp.GetProperty("T").GetInt32();
            Assert.Equal(t, e.Length);
            Assert.Equal(model.Dimension, e.Channels);
            var first8 = exp.GetProperty("encoder_out_first8_channel_major").EnumerateArray().Select(x => x.GetDouble()).ToArray();
            for (int i = 0; i < first8.Length; i++)
                Assert.True(Math.Abs(e.Data[i] - first8[i]) <= 1e-4 + 1e-5 * Math.Abs(first8[i]), $"{file.Name}: encoder output [{i}] {e.Data[i]} vs {first8[i]}");
            double sum = e.Data.Sum(v => (double)v), sumSq = e.Data.Sum(v => (double)v * v);
            Assert.True(Math.Abs(sum - exp.GetProperty("encoder_out_sum").GetDouble()) <= 1e-4 * e.Data.Length, $"{file.Name}: encoder sum {sum}");
            double expSq = exp.GetProperty("encoder_out_sum_sq").GetDouble();
            Assert.True(Math.Abs(sumSq - expSq) <= 1e-4 * expSq, $"{file.Name}: encoder sum of squares {sumSq} vs {expSq}");

            var codes = model.Encode(wav);
            Assert.Equal(Ints(exp.GetProperty("codes")), codes);
            files++;
        }
        Assert.True(files > 0, "fixture lists no files");

        // batch_example: speech_3s.wav and a copy rolled right by 1234 samples, encoded together
        var (speech, _) = WavReader.Read(Path.Combine(dir, "speech_3s.wav"));
        var rolled = speech[^1234..].Concat(speech[..^1234]).ToArray();
        var batch = model.EncodeBatch([speech, rolled]);
        var expected = root.GetProperty("batch_example").GetProperty("codes").EnumerateArray().Select(Ints).ToArray(); // [q][item][t]
        for (int item = 0; item < 2; item++)
            Assert.Equal(expected.Select(q => q[item]).ToArray(), batch[item]);
    }
}
