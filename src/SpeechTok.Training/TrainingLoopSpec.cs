using SpeechTok.IO;
using SpeechTok.Tensors;
using SpeechTok.Tensors.Optim;

namespace SpeechTok.Training;

/// <summary>What a caller of <see cref="TrainingLoop"/> supplies: everything in which step 2, step 3 and <c>lm train</c> differ.</summary>
internal sealed record TrainingLoopSpec<TState> where TState : class, IArtifact
{
    /// <summary>AdamW over the trained parameters; its parameter order is the order of clipping and of the best snapshot.</summary>
    public required AdamW Optimizer { get; init; }
    public required long TotalSteps { get; init; }
    /// <summary>Global-norm clipping threshold; 0 = no clipping (HF's max_grad_norm 0).</summary>
    public required double MaxGradNorm { get; init; }

    /// <summary>Learning rate of the update after <c>s</c> steps (a <see cref="LinearWarmupSchedule"/> or <see cref="WarmupCosineSchedule"/>).</summary>
    public required Func<long, double> LrAt { get; init; }

    /// <summary>
    /// Step <c>s</c> (steps done so far): forward and backward of all its micro-batches, gradients added into the
    /// parameters' <see cref="Parameter.Grad"/> (zero on entry), normalised as the caller's loss is; returns the
    /// step's loss for the curves. Throws <see cref="SpeechTokException"/> on a non-finite loss, naming the batch.
    /// </summary>
    public required Func<long, double> LossAndGradients { get; init; }

    /// <summary>After the update: (steps done, loss, gradient norm before clipping); curves, metrics lines.</summary>
    public Action<long, double, double>? Trained { get; init; }

    /// <summary>Once the checkpoint is loaded (or found absent), with the steps done, before the evaluation at start and the first step.</summary>
    public Action<long>? Started { get; init; }

    public required Func<long, bool> EvalDue { get; init; }

    /// <summary>Evaluates after <c>s</c> steps, records it, returns the value that <see cref="Selection"/> compares.</summary>
    public required Func<long, double> Evaluate { get; init; }

    /// <summary>Evaluate at step 0 of a fresh run (not on resume).</summary>
    public bool EvalAtStart { get; init; }
    public ModelSelection Selection { get; init; }

    /// <summary>Evaluations in a row without improvement that stop the run (with <see cref="Selection"/>).</summary>
    public int Patience { get; init; } = int.MaxValue;
    public Action<TrainingStatus>? EarlyStop { get; init; }

    public required Func<long, bool> CheckpointDue { get; init; }

    /// <summary>The checkpoint's state record at this status.</summary>
    public required Func<TrainingStatus, TState> State { get; init; }

    /// <summary>Tensors saved in the checkpoint, in file order, given the best snapshot (null without selection).</summary>
    public required Func<IReadOnlyList<float[]>?, IEnumerable<(string Name, Tensor Tensor)>> CheckpointTensors { get; init; }

    /// <summary>Checks the checkpoint's state record before any tensor is restored (a run's settings against the checkpoint's).</summary>
    public Action<TState>? CheckState { get; init; }

    /// <summary>Reads the checkpoint's tensors back into the parameters (by name and expected length); returns the best snapshot (null without selection).</summary>
    public required Func<Func<string, int, float[]>, IReadOnlyList<float[]>?> Restore { get; init; }

    /// <summary>Restores the caller's own state (curves, counters) from the record; returns the loop's status (its step is the optimizer's).</summary>
    public required Func<TState, TrainingStatus> Resume { get; init; }

    /// <summary>Last in a step, once it is evaluated and checkpointed: progress, and the tests' simulated kill.</summary>
    public Action<long>? AfterStep { get; init; }
}
