namespace SpeechTok.Lm.Tokenization;

/// <summary>An added token with HF's flags.</summary>
public sealed record AddedToken(string Content, int Id, bool Special, bool Normalized, bool Lstrip = false, bool Rstrip = false, bool SingleWord = false);
