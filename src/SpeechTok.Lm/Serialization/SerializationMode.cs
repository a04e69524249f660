namespace SpeechTok.Lm.Serialization;

public enum SerializationMode
{
    /// <summary>BOS (when the tokenizer has one), markers and audio token ids emitted directly; the text BPE-encoded on its own.</summary>
    Compact,
    /// <summary>The original's line <c>&lt;|text|&gt; {text} &lt;|text_end|&gt; &lt;|audio|&gt; {tokens} &lt;|audio_end|&gt;</c>
    /// tokenized with BOS: each audio token costs a space token too (METHOD §3.3).</summary>
    Reference,
    /// <summary>BOS and the raw text (the text-only baseline).</summary>
    TextOnly,
    /// <summary>The compact layout with one <see cref="AudioVocabulary.AudioVectorSlot"/> between the audio markers
    /// instead of audio tokens: its embedding is replaced by the projected utterance vector (the audio-vector system).</summary>
    AudioVector,
}
