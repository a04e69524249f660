namespace SpeechTok.Training;

/// <summary>How a <see cref="TrainingLoop"/> picks its best snapshot: not at all, lowest value (eval loss), highest value (val F1).</summary>
internal enum ModelSelection { None, Minimize, Maximize }
