using System.Text.Json.Serialization;
using SpeechTok.IO;

namespace SpeechTok.Training;

/// <summary>
/// checkpoint/state.json of <c>lm train</c>: optimizer steps done (the data position follows from it), windows and tokens seen,
/// wall seconds so far, and the steps whose held-out evaluation metrics.jsonl holds, so that a resume can tell a log that lost lines.
/// </summary>
public sealed record LmCheckpointState : IArtifact
{
    [JsonPropertyName("step")] public long Step { get; init; }
    [JsonPropertyName("windows_seen")] public long WindowsSeen { get; init; }
    [JsonPropertyName("tokens_seen")] public long TokensSeen { get; init; }
    [JsonPropertyName("seconds")] public double Seconds { get; init; }
    /// <summary>
    /// Steps of the evaluation lines metrics.jsonl held at this checkpoint, ascending (0 first: the evaluation before
    /// training). Null in checkpoints written before it was recorded; a resume then expects the step-0 evaluation only.
    /// </summary>
    [JsonPropertyName("eval_steps")] public long[]? EvalSteps { get; init; }

    public void Validate(string source)
    {
        if (Step < 1) throw new SpeechTokException($"{source}: step is {Step}, expected ≥ 1");
        if (WindowsSeen < 0 || TokensSeen < 0 || !(Seconds >= 0)) throw new SpeechTokException($"{source}: windows_seen, tokens_seen and seconds must be non-negative");
        if (EvalSteps is { } e && e.Where((s, i) => s < 0 || s > Step || (i > 0 && s <= e[i - 1])).Any())
            throw new SpeechTokException($"{source}: eval_steps must ascend within 0..{Step} (the step), got [{string.Join(", ", e)}]");
    }
}
