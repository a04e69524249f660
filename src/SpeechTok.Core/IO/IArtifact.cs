namespace SpeechTok.IO;

/// <summary>A record stored as a JSON artifact through <see cref="ArtifactJson"/>.</summary>
public interface IArtifact
{
    /// <summary>Checks what the JSON schema cannot (ranges, lengths, orders); throws a <see cref="SpeechTokException"/> naming <paramref name="source"/> and the field.</summary>
    void Validate(string source);
}
