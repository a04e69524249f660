using System.Diagnostics;

namespace SpeechTok.Tests.Fuzz;

/// <summary>
/// The fuzz loop shared by every format. Each case is a set of files (name → bytes) written into a fresh
/// case folder; the target reads them. A case passes when the target returns, or throws a
/// <see cref="SpeechTokException"/> whose message names the case folder (so the file) and says more than
/// that. Anything else fails the test: another exception type (IndexOutOfRange, NullReference, Overflow,
/// OutOfMemory, Argument…), a message that does not name the file, a case slower than
/// <see cref="SlowCase"/>, or a hang (the loop runs on its own thread under a watchdog). Each distinct failure
/// (exception type + throwing method) is shrunk to a minimal input and reported in base64, ready to become
/// a regression test.
/// </summary>
internal static class Fuzzer
{
    public const int Cases = 10_000;
    public static readonly TimeSpan SlowCase = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(60);

    public sealed record Outcome(string Format, int Seed, int Cases, int Accepted, int Rejected, double Seconds)
    {
        /// <summary>
        /// Fails unless at least the fractions <paramref name="accepted"/> and <paramref name="rejected"/> of the cases ended
        /// each way: a generator that makes only garbage (nothing read to the end) or only valid files (no error path taken)
        /// tests little, and every case would still pass. The counts are fixed by the seed; each test's bounds sit well below
        /// its counts.
        /// </summary>
        public Outcome RequireShares(double accepted, double rejected)
        {
            Assert.True(Accepted >= accepted * Cases, $"fuzz {Format} (seed {Seed}): {Accepted} of {Cases} cases accepted, fewer than {accepted:P0}: the generator hardly makes a readable file");
            Assert.True(Rejected >= rejected * Cases, $"fuzz {Format} (seed {Seed}): {Rejected} of {Cases} cases rejected, fewer than {rejected:P0}: the generator hardly makes a defective file");
            return this;
        }
    }

    /// <param name="log">Receives the summary line with the case counts.</param>
    /// <param name="generate">The files of case i (seeded by the caller's <see cref="Mutator"/>).</param>
    /// <param name="target">Reads the case folder.</param>
    /// <returns>The case counts: callers check their shares with <see cref="Outcome.RequireShares"/>.</returns>
    public static Outcome Run(Action<string> log, string format, int seed, Func<Mutator, int, Dictionary<string, byte[]>> generate,
        Action<string> target, int cases = Cases)
    {
        // tmpfs when there is one: 10,000 small writes cost ~3 ms each on a busy disk, ~20 µs in memory
        var root = Directory.Exists("/dev/shm")
            ? Directory.CreateDirectory(Path.Combine("/dev/shm", $"speechtok-fuzz-{format}-{Environment.ProcessId}-{Guid.NewGuid():N}")).FullName
            : Directory.CreateTempSubdirectory($"speechtok-fuzz-{format}-").FullName;
        try
        {
            var mutator = new Mutator(seed);
            var failures = new Dictionary<string, (int Case, Dictionary<string, byte[]> Files, string Detail, bool Slow)>();
            int accepted = 0, rejected = 0, current = -1;
            Dictionary<string, byte[]>? currentFiles = null;
            var caseClock = new Stopwatch();
            var total = Stopwatch.StartNew();
            Exception? loopError = null;
            var worker = new Thread(() =>
            {
                try
                {
                    for (int i = 0; i < cases; i++)
                    {
                        var files = generate(mutator, i);
                        Volatile.Write(ref currentFiles, files);
                        Volatile.Write(ref current, i);
                        var dir = Path.Combine(root, "case");
                        Write(dir, files);
                        caseClock.Restart();
                        var verdict = Judge(dir, target);
                        var elapsed = caseClock.Elapsed;
                        if (verdict == null) accepted++;
                        else if (verdict == "") rejected++;
                        else failures.TryAdd(Signature(verdict), (i, files, verdict, false));
                        if (elapsed > SlowCase)
                            failures.TryAdd("slow", (i, files, $"took {elapsed.TotalSeconds:F1} s (limit {SlowCase.TotalSeconds} s)", true));
                    }
                }
                catch (Exception e) { loopError = e; }
            }, 64 << 20) { IsBackground = true, Name = $"fuzz-{format}" };
            worker.Start();
            while (!worker.Join(200))
                if (caseClock.IsRunning && caseClock.Elapsed > Hang)
                {
                    var stuck = Volatile.Read(ref currentFiles)!;
                    Assert.Fail($"fuzz {format}: case {Volatile.Read(ref current)} (seed {seed}) hangs (> {Hang.TotalSeconds} s); input: {Describe(stuck)}");
                }
            if (loopError != null) throw new InvalidOperationException($"fuzz {format}: the generator failed", loopError);
            var outcome = new Outcome(format, seed, cases, accepted, rejected, total.Elapsed.TotalSeconds);
            log($"fuzz {format}: {cases} cases (seed {seed}), {accepted} accepted, {rejected} rejected with a SpeechTokException naming the file, " +
                $"{failures.Count} distinct failure(s), {outcome.Seconds:F1} s");
            if (failures.Count > 0)
            {
                var report = failures.Values.Select(f =>
                {
                    var minimal = f.Slow ? f.Files : Shrink(Path.Combine(root, "shrink"), f.Files, f.Detail, target);
                    return $"case {f.Case}: {f.Detail}\n  minimal input: {Describe(minimal)}";
                });
                Assert.Fail($"fuzz {format} (seed {seed}): {failures.Count} distinct failure(s):\n" + string.Join("\n", report));
            }
            return outcome;
        }
        finally
        {
            try { Directory.Delete(root, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>null: accepted; "": rejected as it should be; otherwise the failure's signature.</summary>
    private static string? Judge(string dir, Action<string> target)
    {
        try
        {
            target(dir);
            return null;
        }
        catch (SpeechTokException e)
        {
            if (!e.Message.Contains(dir, StringComparison.Ordinal)) return $"SpeechTokException does not name the file: \"{e.Message}\"";
            return e.Message.Length < dir.Length + 12 ? $"SpeechTokException names no defect: \"{e.Message}\"" : "";
        }
        catch (Exception e)
        {
            var frame = new StackTrace(e).GetFrames().FirstOrDefault(f => f.GetMethod()?.DeclaringType?.Namespace?.StartsWith("SpeechTok", StringComparison.Ordinal) == true)
                ?.GetMethod();
            return $"{e.GetType().FullName} in {frame?.DeclaringType?.Name}.{frame?.Name}: {e.Message}";
        }
    }

    /// <summary>Makes <paramref name="dir"/> hold exactly <paramref name="files"/> (overwriting in place is much cheaper than a fresh folder).</summary>
    private static void Write(string dir, Dictionary<string, byte[]> files)
    {
        Directory.CreateDirectory(dir);
        foreach (var entry in new DirectoryInfo(dir).EnumerateFileSystemInfos())
            if (!files.ContainsKey(entry.Name))
            {
                if (entry is DirectoryInfo d) d.Delete(true);
                else entry.Delete();
            }
        foreach (var (name, bytes) in files) File.WriteAllBytes(Path.Combine(dir, name), bytes);
    }

    /// <summary>What identifies a failure: the exception type and the throwing method, or the kind of bad message.</summary>
    private static string Signature(string verdict) => verdict.Split(':')[0];

    /// <summary>Delta debugging: removes chunks of each file while the same failure (<see cref="Signature"/>) remains.</summary>
    private static Dictionary<string, byte[]> Shrink(string dir, Dictionary<string, byte[]> files, string detail, Action<string> target)
    {
        var best = files.ToDictionary(kv => kv.Key, kv => kv.Value);
        int attempts = 0;
        foreach (var name in files.Keys)
            for (int chunk = Math.Max(1, best[name].Length / 2); chunk >= 1 && attempts < 3000; chunk /= 2)
                for (int at = 0; at < best[name].Length && attempts < 3000; attempts++)
                {
                    var cur = best[name];
                    var candidate = cur[..at].Concat(cur[Math.Min(cur.Length, at + chunk)..]).ToArray();
                    var trial = new Dictionary<string, byte[]>(best) { [name] = candidate };
                    Write(dir, trial);
                    var v = Judge(dir, target);
                    if (v != null && v != "" && Signature(v) == Signature(detail)) best = trial;
                    else at += chunk;
                }
        return best;
    }

    private static string Describe(Dictionary<string, byte[]> files) =>
        string.Join("; ", files.Select(kv => $"{kv.Key} ({kv.Value.Length} bytes) base64 {Convert.ToBase64String(kv.Value)}"));
}
