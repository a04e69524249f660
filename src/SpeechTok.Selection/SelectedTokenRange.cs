namespace SpeechTok.Selection;

/// <summary>
/// How many selected audio tokens a C chosen from a sweep should keep (<see cref="CChoice"/>): at least
/// <see cref="MinTokens"/>, at most max(<see cref="MinTokens"/>, <see cref="MaxTokenShare"/> × the audio token types that
/// occur in train). The defaults keep about 1 %, the paper's share (73–80 of 8192). On the demo, 181 tokens (3 %) gave
/// the LM so many tokens a clip that some seeds fitted the train split through them and never learned the words
/// (docs/experiments.md).
/// </summary>
public sealed record SelectedTokenRange(int MinTokens = SelectedTokenRange.DefaultMinTokens, double MaxTokenShare = SelectedTokenRange.DefaultMaxTokenShare)
{
    public const int DefaultMinTokens = 16;
    public const double DefaultMaxTokenShare = 0.01;

    /// <summary>The accepted range of selected audio tokens for <paramref name="occurring"/> audio token types in train.</summary>
    public (int Min, int Max) For(int occurring) => (MinTokens, Math.Max(MinTokens, (int)Math.Round(MaxTokenShare * occurring)));

    /// <summary>The range in words, for settings tables, reports and help texts.</summary>
    public string Text => $"{MinTokens} … max({MinTokens}, {MaxTokenShare:P0} of the audio token types occurring in train)";
}
