namespace SpeechTok.Training;

/// <summary>
/// Where a training run stands after an optimizer step, for a progress line (<see cref="ProgressPrinter"/>). The counts
/// come from the optimizer's step, so a resumed run continues them; speed and ETA are measured over this session only.
/// Reading it changes no number of the run.
/// </summary>
/// <param name="Seed">The fine-tuning seed (seeds may train at once); null for pre-training and <c>lm train</c>.</param>
/// <param name="Epoch">The epoch the step belongs to, from 1; 0 when the run counts steps only (<c>lm train</c>).</param>
/// <param name="Epochs">The run's most epochs (early stopping may end it sooner); 0 when it counts steps only.</param>
/// <param name="Step">Optimizer steps done in <paramref name="Epoch"/> (in the run, when it counts steps only), from 1.</param>
/// <param name="Steps">Optimizer steps of an epoch (of the run, when it counts steps only).</param>
/// <param name="Loss">Mean training loss of the epoch's steps in this session so far; when the run counts steps only, the step's.</param>
/// <param name="Lr">Learning rate of the step's update.</param>
/// <param name="GradNorm">Global L2 norm of the step's gradients before clipping.</param>
/// <param name="TokensPerSecond">Tokens trained on (padding excluded) per second of this session's steps (forward, backward, update; not evaluations or checkpoints).</param>
/// <param name="Eta">Time left to the run's last step (a seed's: its last epoch's) at this session's wall time per step, evaluations and checkpoints included.</param>
public sealed record TrainingProgress(int? Seed, int Epoch, int Epochs, long Step, long Steps, double Loss, double Lr, double GradNorm, double TokensPerSecond, TimeSpan Eta)
{
    /// <summary>The step ends its epoch (the run, when it counts steps only).</summary>
    public bool EndsEpoch => Step == Steps;

    /// <summary>The step is the run's last (early stopping may end a run before it).</summary>
    public bool EndsRun => EndsEpoch && Epoch == Epochs;
}
