namespace SpeechTok.Tensors;

/// <summary>
/// The engine's degree of parallelism. Kernels split work into at most <see cref="Threads"/> parts;
/// the default is every core. Set once at start-up (the CLI's <c>--threads</c>).
/// </summary>
public static class Threading
{
    private static int _threads = Environment.ProcessorCount;

    public static int Threads
    {
        get => _threads;
        set => _threads = value < 1 ? Environment.ProcessorCount : value;
    }

    /// <summary>
    /// Runs body(part) for part in [0, parts) on up to <see cref="Threads"/> threads (the engine's
    /// <see cref="WorkerPool"/>). A <see cref="SpeechTokException"/> from a part (bad input, named by the body)
    /// is rethrown as itself, other exceptions wrapped in an AggregateException.
    /// </summary>
    public static void For(int parts, Action<int> body) => WorkerPool.For(parts, _threads, body);

    /// <summary>Splits [0, n) into contiguous ranges, one per thread, for work too fine for per-item tasks.</summary>
    public static void ForRange(int n, int minPerPart, Action<int, int> body)
    {
        int parts = Math.Max(1, Math.Min(_threads, n / Math.Max(1, minPerPart)));
        if (parts == 1)
        {
            body(0, n);
            return;
        }
        For(parts, p =>
        {
            long start = (long)n * p / parts, end = (long)n * (p + 1) / parts;
            body((int)start, (int)end);
        });
    }
}
