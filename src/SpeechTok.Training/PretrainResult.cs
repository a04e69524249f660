namespace SpeechTok.Training;

/// <summary>Result of pre-training: the best rows [TrainableCount, hidden] (and lm_head rows when untied) and the curves.</summary>
public sealed record PretrainResult(float[] Rows, float[]? HeadRows, double BestEvalLoss, int BestStep, PretrainCurves Curves);
