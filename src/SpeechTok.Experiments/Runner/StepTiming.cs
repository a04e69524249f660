using System.Text.Json.Serialization;

namespace SpeechTok.Experiments.Runner;

/// <summary>One step's entry in timings.json (<see cref="StepTimingsFile"/>).</summary>
internal sealed record StepTiming
{
    /// <summary>Wall seconds over every attempt of every run (rounded to milliseconds when written).</summary>
    [JsonPropertyName("seconds")] public required double Seconds { get; init; }
    /// <summary>Runs that started the step before it finished (1 for a step that ran through).</summary>
    [JsonPropertyName("attempts")] public required int Attempts { get; init; }
    /// <summary>Whether an attempt ran to its end.</summary>
    [JsonPropertyName("finished")] public required bool Finished { get; init; }
    /// <summary>The system that started the step first (its seconds count in that system's); null in files written before owners were recorded.</summary>
    [JsonPropertyName("system")] public string? System { get; init; }
}
