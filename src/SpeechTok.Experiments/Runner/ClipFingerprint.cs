using System.Text.Json.Serialization;
using SpeechTok.Codec.Store;

namespace SpeechTok.Experiments.Runner;

/// <summary>One clip's entry in OUT/clips.json (<see cref="ExperimentClips"/>): its bytes' sha256, and its size and time, which tell an untouched file without reading it.</summary>
internal sealed record ClipFingerprint
{
    [JsonPropertyName("sha256")] public required string Sha256 { get; init; }
    [JsonPropertyName("bytes")] public required long Bytes { get; init; }
    [JsonPropertyName("modified")] public required DateTime Modified { get; init; }

    /// <summary>The clip as it is now (reads it).</summary>
    public static ClipFingerprint Of(string clip)
    {
        var file = new FileInfo(clip);
        var (bytes, modified) = (file.Length, file.LastWriteTimeUtc); // before the content: a clip rewritten meanwhile then differs on the next run
        Span<byte> digest = stackalloc byte[32];
        SampleSource.Sha256Of(clip, digest);
        return new ClipFingerprint { Sha256 = Convert.ToHexStringLower(digest), Bytes = bytes, Modified = modified };
    }

    /// <summary>Whether the file at <paramref name="clip"/> still has this size and time (then it is taken as unchanged, unread).</summary>
    public bool Untouched(string clip)
    {
        var file = new FileInfo(clip);
        return file.Exists && file.Length == Bytes && file.LastWriteTimeUtc == Modified;
    }
}
