using SpeechTok.IO;
using SpeechTok.Tensors.Optim;

namespace SpeechTok.Training;

/// <summary>
/// The one optimisation loop behind step 2 (<see cref="Pretrainer"/>), step 3 (<see cref="Finetuner"/>) and
/// <c>lm train</c> (<see cref="LmTrainer"/>), in the manner of nanoGPT's <c>train.py</c>: the loop owns the step
/// counter, zeroing the gradients, global-norm clipping, the learning rate of each step, the AdamW update,
/// the evaluation cadence, the best snapshot (a copy of every parameter's values), patience and early
/// stopping, the checkpoint cadence and the exact resume from <see cref="Checkpoint"/>. The caller supplies
/// what differs (<see cref="TrainingLoopSpec{TState}"/>): the micro-batches of a step and their gradients,
/// the schedule, what an evaluation measures, the checkpoint's state record and tensor names, and its logs.
/// </summary>
/// <remarks>
/// One step, in this order (the order of floating-point work of the three former copies): zero the
/// gradients; <c>LossAndGradients(s)</c> with s the steps done; clip to <c>MaxGradNorm</c> (0: measure the norm only); lr = <c>LrAt(s)</c>;
/// AdamW step; <c>Trained</c>; evaluation when <c>EvalDue</c> (then best snapshot or one more bad
/// evaluation); checkpoint when <c>CheckpointDue</c> or early stopping fired; <c>AfterStep</c>.
/// </remarks>
internal static class TrainingLoop
{
    /// <summary>
    /// Runs from the checkpoint in <paramref name="runDir"/> (or from step 0) until <c>TotalSteps</c> or early
    /// stopping. Returns where it ended; the best snapshot is in <see cref="TrainingLoopResult.Best"/> (null
    /// without model selection). Errors: a checkpoint from another configuration (<see cref="Checkpoint.Load{TState}"/>),
    /// a checkpoint past <c>TotalSteps</c>.
    /// </summary>
    public static TrainingLoopResult Run<TState>(string runDir, TrainingLoopSpec<TState> spec) where TState : class, IArtifact
    {
        var opt = spec.Optimizer;
        var ps = opt.Parameters;
        IReadOnlyList<float[]>? best = spec.Selection == ModelSelection.None ? null : Snapshot(ps);
        var status = new TrainingStatus(0, spec.Selection == ModelSelection.Maximize ? double.NegativeInfinity : double.PositiveInfinity, 0, 0, false);

        var state = Checkpoint.Load<TState>(runDir, opt, spec.CheckState, get => best = spec.Restore(get));
        if (state != null)
        {
            status = spec.Resume(state) with { Step = opt.StepCount };
            if (status.Step > spec.TotalSteps) throw new SpeechTokException($"{runDir}/{Checkpoint.Folder}: at step {status.Step}, past the {spec.TotalSteps} steps of this run");
        }
        spec.Started?.Invoke(status.Step);
        if (state == null && spec.EvalAtStart) status = Evaluated(spec, status, ps, ref best);

        while (status.Step < spec.TotalSteps && !status.Stopped)
        {
            long s = status.Step;
            opt.ZeroGrad();
            double loss = spec.LossAndGradients(s);
            // 0 turns clipping off, as HF's max_grad_norm 0; the norm is still measured for the curves and logs.
            double norm = spec.MaxGradNorm == 0 ? GradClip.GlobalNorm(ps) : GradClip.ClipGradNorm(ps, spec.MaxGradNorm);
            opt.Lr = spec.LrAt(s);
            opt.Step();
            status = status with { Step = s + 1 };
            spec.Trained?.Invoke(status.Step, loss, norm);
            if (spec.EvalDue(status.Step)) status = Evaluated(spec, status, ps, ref best);
            if (spec.CheckpointDue(status.Step) || status.Stopped)
                Checkpoint.Save(runDir, spec.State(status), spec.CheckpointTensors(best), opt);
            spec.AfterStep?.Invoke(status.Step);
        }
        return new TrainingLoopResult(status, best);
    }

    /// <summary>
    /// The steps of a run, <paramref name="perEpoch"/> × <paramref name="epochs"/>; refuses more than <see cref="int.MaxValue"/>
    /// (the schedules and the step arithmetic count in int, where the product wrapped), naming --epochs and
    /// <paramref name="batchOptions"/>, the options that set the steps per epoch. Callers check it before anything is written.
    /// </summary>
    public static int TotalSteps(int perEpoch, int epochs, string batchOptions)
    {
        long total = (long)perEpoch * epochs;
        return total <= int.MaxValue ? (int)total
            : throw new SpeechTokException($"--epochs {epochs}: {epochs} epochs of {perEpoch} step(s) are {total} optimizer steps, more than the {int.MaxValue} a run can count; "
                + $"lower --epochs or raise {batchOptions}");
    }

    private static TrainingStatus Evaluated<TState>(TrainingLoopSpec<TState> spec, TrainingStatus st, IReadOnlyList<Parameter> ps, ref IReadOnlyList<float[]>? best)
        where TState : class, IArtifact
    {
        double v = spec.Evaluate(st.Step);
        if (spec.Selection == ModelSelection.None) return st;
        if (spec.Selection == ModelSelection.Maximize ? v > st.BestValue : v < st.BestValue)
        {
            best = Snapshot(ps);
            return st with { BestValue = v, BestStep = st.Step, BadEvals = 0 };
        }
        st = st with { BadEvals = st.BadEvals + 1 };
        if (st.BadEvals < spec.Patience) return st;
        spec.EarlyStop?.Invoke(st);
        return st with { Stopped = true };
    }

    private static float[][] Snapshot(IReadOnlyList<Parameter> ps) => ps.Select(p => p.Data.ToArray()).ToArray();
}
