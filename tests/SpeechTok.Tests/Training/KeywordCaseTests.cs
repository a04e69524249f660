using SpeechTok.Cli.Commands;
using SpeechTok.Codec;
using SpeechTok.Experiments.Runner;
using SpeechTok.Lm.Model;

namespace SpeechTok.Tests.Training;

/// <summary>Names from a fixed set match in any case and come back spelt as the set spells them; paths and module names do not.</summary>
public sealed class KeywordCaseTests
{
    [Theory]
    [InlineData("BOW", "bow")]
    [InlineData("Audio-Lasso-8", "audio-lasso-8")]
    [InlineData("text-only-llm", "text-only-llm")]
    public void A_system_name_matches_in_any_case(string typed, string canonical) =>
        Assert.Equal(canonical, OptionRules.Match(typed, ExperimentRunner.Systems));

    [Fact]
    public void An_audio_encoder_name_matches_in_any_case() => Assert.Equal("builtin", OptionRules.Match("BuiltIn", UtteranceEncoders.Names));

    [Fact]
    public void An_unknown_name_matches_nothing() => Assert.Null(OptionRules.Match("Bogus", ExperimentRunner.Systems));

    [Fact]
    public void All_linear_matches_in_any_case_as_in_peft()
    {
        Assert.Equal(LoraAdapters.LayerProjections, CliLists.LoraTargets("ALL-LINEAR"));
        var e = Assert.Throws<SpeechTokException>(() => CliLists.LoraTargets("All-Linear,q_proj"));
        Assert.Contains("give it alone", e.Message);
    }

    [Fact]
    public void Module_names_stay_case_sensitive()
    {
        var e = Assert.Throws<SpeechTokException>(() => CliLists.LoraTargets("Q_PROJ"));
        Assert.Contains("'Q_PROJ' is not one of", e.Message);
    }
}
