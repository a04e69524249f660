namespace SpeechTok.Selection;

public enum Penalty
{
    /// <summary>‖W‖₁ (the selection model).</summary>
    L1,
    /// <summary>½‖W‖² (the baselines).</summary>
    L2,
}
