namespace SpeechTok.Lm.Tokenization;

/// <summary>Character classes the split patterns care about, by Unicode code point (not UTF-16 unit).</summary>
internal enum CharClass : byte { Other, Letter, Number, Space, Newline }
