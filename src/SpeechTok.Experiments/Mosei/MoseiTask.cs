namespace SpeechTok.Experiments.Mosei;

/// <summary>The two CMU-MOSEI tasks of the paper.</summary>
public enum MoseiTask
{
    /// <summary>Binary sentiment polarity: 1 (positive) when the sentiment score is ≥ 0, else 0 (negative).</summary>
    Sent,

    /// <summary>Multi-label emotion: each of the six emotions is present when its intensity is &gt; 0.</summary>
    Emo,
}
