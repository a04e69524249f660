using System.Diagnostics;

namespace SpeechTok.Training;

/// <summary>
/// Measures a training session for its <see cref="TrainingProgress"/>: the session's wall time (from <see cref="Start"/>),
/// the time and tokens of its steps, and the mean loss of the current epoch. It reads clocks and the losses handed to it,
/// nothing else, so it cannot change a number of the run.
/// </summary>
/// <param name="totalSteps">The run's optimizer steps.</param>
/// <param name="seed">Named in the progress (<see cref="TrainingProgress.Seed"/>).</param>
/// <param name="stepsPerEpoch">Steps of an epoch; 0 when the run counts steps only.</param>
/// <param name="epochs">The run's epochs; 0 when it counts steps only.</param>
internal sealed class StepMeter(long totalSteps, int? seed = null, int stepsPerEpoch = 0, int epochs = 0)
{
    private readonly Stopwatch _session = new(), _stepClock = new();
    private double _trainSeconds, _lr, _norm, _epochLossSum, _lastLoss;
    private long _sessionSteps, _sessionTokens, _step, _tokens;
    private int _epochSteps;

    /// <summary>The session's wall time since <see cref="Start"/>.</summary>
    public TimeSpan Elapsed => _session.Elapsed;

    /// <summary>Mean training loss of the current epoch's steps in this session (the figure <see cref="TrainingProgress.Loss"/> shows).</summary>
    public double EpochLoss => stepsPerEpoch == 0 ? _lastLoss : _epochLossSum / Math.Max(1, _epochSteps);

    /// <summary>Starts the session's clock: the loop's <c>Started</c>, once the checkpoint is loaded.</summary>
    public void Start() => _session.Start();

    /// <summary>A step begins, on <paramref name="tokens"/> tokens (padding excluded).</summary>
    public void StepStarted(long tokens)
    {
        _tokens = tokens;
        _stepClock.Restart();
    }

    /// <summary>The step's update is done: the loop's <c>Trained</c>, with the steps done, the loss, the learning rate and the norm before clipping.</summary>
    public void Trained(long step, double loss, double lr, double norm)
    {
        _trainSeconds += _stepClock.Elapsed.TotalSeconds;
        _sessionSteps++;
        _sessionTokens += _tokens;
        if (stepsPerEpoch > 0 && (step - 1) % stepsPerEpoch == 0) (_epochLossSum, _epochSteps) = (0, 0);
        _epochLossSum += loss;
        _epochSteps++;
        (_step, _lastLoss, _lr, _norm) = (step, loss, lr, norm);
    }

    /// <summary>The progress after the last <see cref="Trained"/> step, its ETA from the session's wall time so far.</summary>
    public TrainingProgress Progress()
    {
        var eta = TimeSpan.FromSeconds((totalSteps - _step) * _session.Elapsed.TotalSeconds / Math.Max(1, _sessionSteps));
        double tps = _sessionTokens / Math.Max(1e-9, _trainSeconds);
        return stepsPerEpoch == 0
            ? new TrainingProgress(seed, 0, 0, _step, totalSteps, EpochLoss, _lr, _norm, tps, eta)
            : new TrainingProgress(seed, (int)((_step - 1) / stepsPerEpoch) + 1, epochs, (_step - 1) % stepsPerEpoch + 1, stepsPerEpoch, EpochLoss, _lr, _norm, tps, eta);
    }
}
