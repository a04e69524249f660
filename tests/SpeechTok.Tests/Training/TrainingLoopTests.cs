using SpeechTok.Tensors;
using SpeechTok.Tensors.Optim;
using SpeechTok.Training;

namespace SpeechTok.Tests.Training;

/// <summary>The shared loop on a one-parameter problem, f(x) = (x − 3)²: patience, the best snapshot, exact resume.</summary>
public sealed class TrainingLoopTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "speechtok-loop-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, true);
    }

    private sealed class Killed : Exception;

    /// <summary>A fresh x = 0 trained by AdamW (lr 0.5) in <paramref name="run"/>; <paramref name="evals"/> scripts the evaluation values (default f(x)).</summary>
    private static (Parameter X, TrainingLoopSpec<PretrainState> Spec, List<long> Evaluated) Problem(int patience, double[]? evals = null, long killAt = -1)
    {
        var x = Parameter.Full("x", Tensor.FromData(new float[] { 0 }, 1), decay: false);
        var opt = new AdamW([x], 0.5, weightDecay: 0);
        var evaluated = new List<long>();
        var spec = new TrainingLoopSpec<PretrainState>
        {
            Optimizer = opt, TotalSteps = 8, MaxGradNorm = 1.0, LrAt = s => 0.5 / (1 + s),
            LossAndGradients = _ =>
            {
                float v = x.Data[0] - 3;
                x.Grad.Span[0] = 2 * v;
                return v * v;
            },
            EvalDue = s => s % 2 == 0,
            Evaluate = s =>
            {
                evaluated.Add(s);
                return evals?[evaluated.Count - 1] ?? Math.Pow(x.Data[0] - 3, 2);
            },
            Selection = ModelSelection.Minimize, Patience = patience,
            CheckpointDue = s => s % 4 == 0,
            State = st => new PretrainState
            {
                EpochsDone = 1, BestEvalLoss = st.BestValue, BestStep = (int)st.BestStep, EvalsWithoutImprovement = st.BadEvals, Stopped = st.Stopped,
                TrainLoss = [], EvalLoss = [],
            },
            CheckpointTensors = best => [("x", Tensor.FromData(x.Data, 1)), ("best.x", Tensor.FromData(best![0], 1))],
            Restore = get =>
            {
                get("x", 1).CopyTo(x.Data);
                return [get("best.x", 1)];
            },
            Resume = st => new TrainingStatus(0, st.BestEvalLoss, st.BestStep, st.EvalsWithoutImprovement, st.Stopped),
            AfterStep = s => { if (s == killAt) throw new Killed(); },
        };
        return (x, spec, evaluated);
    }

    /// <summary>A resume checks the state record before it copies a tensor, and a tensor of another size is named, not a crash.</summary>
    [Fact]
    public void A_checkpoint_of_another_configuration_is_refused_before_any_value_is_copied()
    {
        var (x, spec, _) = Problem(patience: 10, evals: null, killAt: 4);
        string dir = Path.Combine(_dir, "k");
        Assert.Throws<Killed>(() => TrainingLoop.Run(dir, spec));
        float before = x.Data[0] = 42f;
        var refused = Assert.Throws<SpeechTokException>(() => TrainingLoop.Run(dir, spec with { CheckState = _ => throw new SpeechTokException("settings differ") }));
        Assert.Equal("settings differ", refused.Message);
        Assert.Equal(before, x.Data[0]); // nothing restored

        var e = Assert.Throws<SpeechTokException>(() => TrainingLoop.Run(dir, spec with { Restore = get => [get("x", 2)] }));
        Assert.Contains("tensor 'x' has 1 values where this run has 2", e.Message);
    }

    [Fact]
    public void Patience_stops_and_the_best_snapshot_is_the_values_at_the_best_evaluation()
    {
        // Evaluations at steps 2, 4, 6, 8: 5 (best), 4 (best), 4.5 (1 bad), 4.6 (2 bad: patience 2 stops).
        var (x, spec, evaluated) = Problem(patience: 2, evals: [5, 4, 4.5, 4.6]);
        var atStep4 = 0f;
        var r = TrainingLoop.Run(Path.Combine(_dir, "a"), spec with { Trained = (s, _, _) => { if (s == 4) atStep4 = x.Data[0]; } });
        Assert.Equal(new long[] { 2, 4, 6, 8 }, evaluated);
        Assert.True(r.Status.Stopped);
        Assert.Equal(4, r.Status.BestStep);
        Assert.Equal(4.0, r.Status.BestValue);
        Assert.Equal(atStep4, r.Best![0][0]);
        Assert.NotEqual(atStep4, x.Data[0]);

        var (_, spec2, evaluated2) = Problem(patience: 1, evals: [5, 6]);
        var r2 = TrainingLoop.Run(Path.Combine(_dir, "b"), spec2);
        Assert.Equal(new long[] { 2, 4 }, evaluated2); // one evaluation without improvement is enough with patience 1
        Assert.Equal(4, r2.Status.Step);
        Assert.Equal(2, r2.Status.BestStep);
    }

    [Fact]
    public void A_killed_run_resumes_to_the_same_values_and_a_stopped_run_stays_stopped()
    {
        var (xFull, full, _) = Problem(patience: 10);
        var rFull = TrainingLoop.Run(Path.Combine(_dir, "full"), full);
        Assert.Equal(8, rFull.Status.Step);
        Assert.True(Math.Abs(xFull.Data[0] - 3) < Math.Abs(0 - 3), $"x = {xFull.Data[0]}");

        var (_, killed, _) = Problem(patience: 10, killAt: 6); // last checkpoint at step 4: steps 5–6 are redone
        Assert.Throws<Killed>(() => TrainingLoop.Run(Path.Combine(_dir, "killed"), killed));
        var (xResumed, resumed, evaluated) = Problem(patience: 10);
        var rResumed = TrainingLoop.Run(Path.Combine(_dir, "killed"), resumed);
        Assert.Equal(new long[] { 6, 8 }, evaluated);
        Assert.Equal(xFull.Data[0], xResumed.Data[0]);
        Assert.Equal(rFull.Best![0], rResumed.Best![0]);
        Assert.Equal(rFull.Status, rResumed.Status);
        Assert.Equal(File.ReadAllBytes(Path.Combine(_dir, "full", "checkpoint", "optimizer.safetensors")),
            File.ReadAllBytes(Path.Combine(_dir, "killed", "checkpoint", "optimizer.safetensors")));

        var (_, stopped, _) = Problem(patience: 1, evals: [5, 6]);
        TrainingLoop.Run(Path.Combine(_dir, "stopped"), stopped);
        var (xAgain, again, evaluatedAgain) = Problem(patience: 1, evals: [5, 6]);
        var rAgain = TrainingLoop.Run(Path.Combine(_dir, "stopped"), again);
        Assert.Empty(evaluatedAgain);
        Assert.True(rAgain.Status.Stopped);
        Assert.Equal(4, rAgain.Status.Step);
        Assert.NotEqual(0f, xAgain.Data[0]); // restored from the checkpoint, not the fresh x = 0
    }
}
