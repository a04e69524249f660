namespace SpeechTok;

/// <summary>The classification task a manifest defines: one of two classes, one of K, or any subset of K labels.</summary>
public enum TaskKind
{
    Binary,
    Multiclass,
    Multilabel,
}
