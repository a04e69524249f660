namespace SpeechTok.Training;

/// <summary>The end of a <see cref="TrainingLoop"/> run: its status and the best snapshot (values of the optimizer's parameters, in order; null without model selection).</summary>
internal sealed record TrainingLoopResult(TrainingStatus Status, IReadOnlyList<float[]>? Best);
