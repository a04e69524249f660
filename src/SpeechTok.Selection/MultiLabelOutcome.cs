using SpeechTok.Evaluation;

namespace SpeechTok.Selection;

/// <summary>The one-vs-rest selection at one C: each label's outcome and the union of their audio tokens.</summary>
public sealed record MultiLabelOutcome(double C, IReadOnlyList<SelectionOutcome> PerLabel, int[] SelectedAudio, MultiLabelScores Inner)
{
    /// <summary>Every label's fit is all zero: nothing is selected at this C.</summary>
    public bool AllZero => PerLabel.All(o => o.AllZero);

    /// <summary>Audio tokens a label keeps: its mean-threshold columns, none when its fit is all zero (it has no signal at this C).</summary>
    public static int[] Kept(SelectionOutcome o) => o.AllZero ? [] : o.SelectedAudio;
}
