using SpeechTok.Codec;

namespace SpeechTok.Tests.Codec;

public sealed class AudioFeatureLayoutTests
{
    [Fact]
    public void EncodeAndDecodeAreInverseOverTheUsedLayers()
    {
        var layout = AudioFeatureLayout.Parse("2-8"); // RVQ layers 2..8 = codebooks 1..7
        Assert.Equal([1, 2, 3, 4, 5, 6, 7], layout.Layers);
        Assert.Equal([2, 3, 4, 5, 6, 7, 8], layout.LayerNumbers);
        Assert.Equal(AudioFeatureLayout.DefaultCodebookSize, layout.CodebookSize);
        Assert.Equal(7 * 1024, layout.FeatureCount);
        Assert.Equal(77, layout.Encode(0, 77));              // code 77 of RVQ layer 2
        Assert.Equal(1024 + 7, layout.Encode(1, 7));         // code 7 of RVQ layer 3
        Assert.Equal((1, 77), layout.Decode(77));
        Assert.Equal((2, 7), layout.Decode(1031));
        for (int f = 0; f < layout.FeatureCount; f += 97)
        {
            var (layer, code) = layout.Decode(f);
            Assert.Equal(f, layout.Encode(layout.Layers.ToList().IndexOf(layer), code));
        }
    }

    [Fact]
    public void NonContiguousLayersAndOtherCodebookSizes()
    {
        var layout = AudioFeatureLayout.FromLayerNumbers([1, 3, 5], codebookSize: 8);
        Assert.Equal([0, 2, 4], layout.Layers);
        Assert.Equal(24, layout.FeatureCount);
        Assert.Equal((4, 5), layout.Decode(21)); // position 2 = RVQ layer 5, code 5
        Assert.Equal(21, layout.Encode(2, 5));
        Assert.Equal(AudioFeatureLayout.Parse("1,3,5", codebookSize: 8), layout);
        Assert.NotEqual(AudioFeatureLayout.Parse("1,3,5"), layout);
        Assert.Equal("<audio_token_3>", AudioFeatureLayout.TokenName(3));
    }

    [Fact]
    public void OutOfRangeIdsAndBadLayerListsAreClearErrors()
    {
        var layout = AudioFeatureLayout.Parse("1-2", codebookSize: 4);
        Assert.Contains("outside 0..3", Assert.Throws<SpeechTokException>(() => layout.Encode(0, 4)).Message);
        Assert.Contains("outside 0..7", Assert.Throws<SpeechTokException>(() => layout.Decode(8)).Message);
        Assert.Contains("position 2", Assert.Throws<SpeechTokException>(() => layout.Encode(2, 0)).Message);
        Assert.Contains("1-based", Assert.Throws<SpeechTokException>(() => AudioFeatureLayout.FromLayerNumbers([0, 1])).Message);
        Assert.Contains("ascending", Assert.Throws<SpeechTokException>(() => new AudioFeatureLayout([2, 1])).Message);
        Assert.Contains("positive", Assert.Throws<SpeechTokException>(() => new AudioFeatureLayout([0], 0)).Message);
        Assert.Contains("within 1..8", Assert.Throws<SpeechTokException>(() => AudioFeatureLayout.Parse("0-8")).Message);
        // --layers 3,2 and 2,2 were sorted and deduplicated silently; the message gives the canonical spelling
        Assert.Equal("--layers '3,2': layers must be ascending (feature ids follow the layer order); write '2,3'",
            Assert.Throws<SpeechTokException>(() => AudioFeatureLayout.Parse("3,2")).Message);
        Assert.Equal("--layers '5-8,1,2,3': layers must be ascending (feature ids follow the layer order); write '1-3,5-8'",
            Assert.Throws<SpeechTokException>(() => AudioFeatureLayout.Parse("5-8,1,2,3")).Message);
        Assert.Equal("--layers '2,2': layer 2 is listed twice; write '2'", Assert.Throws<SpeechTokException>(() => AudioFeatureLayout.Parse("2,2")).Message);
        Assert.Equal("--layers '1-4,3-6': layer 3 is listed twice; write '1-6'", Assert.Throws<SpeechTokException>(() => AudioFeatureLayout.Parse("1-4,3-6")).Message);
        Assert.Equal([1, 3, 5, 6, 7, 8], AudioFeatureLayout.ParseLayerNumbers(" 1, 3,5-8 "));
        // a range written downwards said only "not a layer or range"
        Assert.Equal("--layers '8-2': '8-2' is not a layer or range within 1..8 (a range goes up: write '2-8')",
            Assert.Throws<SpeechTokException>(() => AudioFeatureLayout.ParseLayerNumbers("8-2")).Message);
        // Against a code store's layers, a range past them listed every number up to its end: "2-2147483647" never ended.
        Assert.Equal("--layers '2-2147483647': c4 has 4 RVQ layers (give --layers 2-4)",
            Assert.Throws<SpeechTokException>(() => AudioFeatureLayout.ParseLayerNumbers("2-2147483647", 4, "c4")).Message);
        Assert.Equal("--layers '6-9': c4 has 4 RVQ layers (give --layers 1-4)",
            Assert.Throws<SpeechTokException>(() => AudioFeatureLayout.ParseLayerNumbers("6-9", 4, "c4")).Message);
        Assert.Contains("strictly ascending", Assert.Throws<SpeechTokException>(() => layout.CheckSelection([3, 3])).Message);
        Assert.Contains("outside 0..7", Assert.Throws<SpeechTokException>(() => layout.CheckSelection([1, 8])).Message);
    }
}
