namespace SpeechTok.Tensors.Ops;

/// <summary>HF rope_scaling: rope_type "default" (null) or "llama3" with its four parameters.</summary>
public sealed record RopeScaling(string Type, double Factor, double LowFreqFactor, double HighFreqFactor, int OriginalMaxPositionEmbeddings);
