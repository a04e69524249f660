using System.Text.Json.Serialization;
using SpeechTok.IO;

namespace SpeechTok.Training;

/// <summary>checkpoint/state.json of <c>lm train</c>: optimizer steps done (the data position follows from it), windows and tokens seen, wall seconds so far.</summary>
public sealed record LmCheckpointState : IArtifact
{
    [JsonPropertyName("step")] public long Step { get; init; }
    [JsonPropertyName("windows_seen")] public long WindowsSeen { get; init; }
    [JsonPropertyName("tokens_seen")] public long TokensSeen { get; init; }
    [JsonPropertyName("seconds")] public double Seconds { get; init; }

    public void Validate(string source)
    {
        if (Step < 1) throw new SpeechTokException($"{source}: step is {Step}, expected ≥ 1");
        if (WindowsSeen < 0 || TokensSeen < 0 || !(Seconds >= 0)) throw new SpeechTokException($"{source}: windows_seen, tokens_seen and seconds must be non-negative");
    }
}
