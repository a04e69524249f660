using SpeechTok.Tensors;
using SpeechTok.IO;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.ExceptionServices;
using System.Text;
using SpeechTok.Audio;

namespace SpeechTok.Experiments.Demo;

/// <summary>
/// The built-in synthetic speech dataset: espeak-ng utterances whose class needs both the words (polarity)
/// and the voice (arousal). Writes <c>manifest.csv</c> with its class names (<c>manifest.label_names.txt</c>),
/// <c>clips/u0000.wav…</c> (16 kHz mono 16-bit),
/// <c>generation.csv</c> (the synthesis settings of every clip, for inspection only) and, last,
/// <c>demo.json</c>, whose presence with the same options hash marks the build complete.
/// </summary>
public static class DemoDataset
{
    public const int SampleRate = 16000;
    public const string ManifestFile = "manifest.csv";
    public const string InfoFile = DemoDatasetInfo.FileName;
    private const string GenerationFile = "generation.csv";
    private const string ClipsMarker = ".options-hash";

    public static DemoDatasetInfo Build(string outDir, DemoOptions options)
    {
        options.Validate();
        outDir = Path.GetFullPath(outDir);
        var hash = options.Hash();
        if (TryLoadComplete(outDir, hash) is { } done) return done with { Skipped = true };
        // A finished dataset of other options is not replaced: results computed on it (demo's experiment folder) would
        // then be reported for clips they were not computed on.
        if (ReadInfo(outDir) is { } other && other.OptionsHash != hash)
            throw new SpeechTokException($"{outDir} holds a demo dataset built with other options ({other.Options}); use another --out for these, or delete that folder");

        var sw = Stopwatch.StartNew();
        var espeakVersion = ExternalTool.Run(options.EspeakCommand, ["--version"], "espeak-ng").Trim();
        ExternalTool.Run(options.SoxCommand, ["--version"], "sox");
        var plan = DemoCorpus.Plan(options);
        using var writing = FolderLock.Acquire(outDir, "demo");

        // Clips left by an interrupted build with the same options are kept (each was written atomically);
        // clips of other options are removed.
        var clipsDir = Path.Combine(outDir, "clips");
        var marker = Path.Combine(clipsDir, ClipsMarker);
        if (!File.Exists(marker) || File.ReadAllText(marker).Trim() != hash)
        {
            if (Directory.Exists(clipsDir))
                foreach (var f in Directory.EnumerateFiles(clipsDir, "u*.wav")) File.Delete(f);
            AtomicFile.WriteAllText(marker, hash + "\n");
            File.Delete(Path.Combine(outDir, InfoFile));
        }
        var workDir = Path.Combine(clipsDir, ".work");
        Directory.CreateDirectory(workDir);
        AtomicFile.DeleteTempFiles(clipsDir, "u*.wav"); // clips a killed build was writing (.u0007.wav.PID.GUID.tmp)

        var seconds = new double[plan.Count];
        // Two pipelines per core: each clip is a few short-lived processes, so one per core leaves cores idle during process start-up.
        int parallel = options.Parallelism > 0 ? options.Parallelism : 2 * Environment.ProcessorCount;
        try
        {
            Parallel.For(0, plan.Count, new ParallelOptions { MaxDegreeOfParallelism = parallel },
                i => seconds[i] = Synthesize(plan[i], outDir, workDir, options));
        }
        catch (AggregateException e) when (e.InnerExceptions.OfType<SpeechTokException>().FirstOrDefault() is { } first)
        {
            ExceptionDispatchInfo.Throw(first); // the CLI reports SpeechTokExceptions as plain messages
        }
        Directory.Delete(workDir, recursive: true);

        var manifestPath = Path.Combine(outDir, ManifestFile);
        AtomicFile.WriteAllText(Manifest.LabelNamesPath(manifestPath), string.Join("\n", DemoCorpus.ClassNames(options.Labeling)) + "\n");
        AtomicFile.WriteAllText(manifestPath, ManifestCsv(plan, options.Labeling));
        AtomicFile.WriteAllText(Path.Combine(outDir, GenerationFile), GenerationCsv(plan, seconds));

        // The manifest must load with the project's own reader, with every clip present.
        var manifest = Manifest.Load(manifestPath);
        manifest.RequireClips();
        manifest.RequireAllClassesInTrain();

        var names = DemoCorpus.ClassNames(options.Labeling);
        var info = new DemoDatasetInfo
        {
            ManifestPath = manifestPath,
            OptionsHash = hash,
            Options = options.CanonicalString(),
            ClassNames = names,
            ClassCounts = Manifest.SplitNames.ToDictionary(s => s,
                s => Enumerable.Range(0, names.Length).Select(c => plan.Count(u => u.Split == s && u.Labels.Contains(c))).ToArray()),
            Clips = plan.Count,
            ClipSecondsMin = Math.Round(seconds.Min(), 3),
            ClipSecondsMean = Math.Round(seconds.Average(), 3),
            ClipSecondsMax = Math.Round(seconds.Max(), 3),
            GenerationSeconds = Math.Round(sw.Elapsed.TotalSeconds, 2),
            EspeakVersion = espeakVersion,
        };
        info.Save(Path.Combine(outDir, InfoFile));
        return info;
    }

    /// <summary>
    /// The folder's demo.json, or null when there is none. One that does not load is an error, not a reason to rebuild:
    /// it is written atomically and last, so no interrupted build leaves it damaged, and rebuilding over a finished
    /// dataset whose options cannot be read could replace it (see <see cref="Build"/>). The message names the file and
    /// field, and says that deleting the file lets the dataset be built there again.
    /// </summary>
    private static DemoDatasetInfo? ReadInfo(string outDir)
    {
        var infoPath = Path.Combine(outDir, InfoFile);
        if (!File.Exists(infoPath)) return null;
        try { return DemoDatasetInfo.Load(infoPath); }
        catch (SpeechTokException e) { throw new SpeechTokException($"{e.Message}; delete {InfoFile} to build the dataset in {outDir} again", e); }
    }

    /// <summary>The finished dataset's info when <paramref name="outDir"/> holds a complete build with this options hash.</summary>
    private static DemoDatasetInfo? TryLoadComplete(string outDir, string hash)
    {
        var info = ReadInfo(outDir);
        if (info == null || info.OptionsHash != hash) return null;
        var manifestPath = Path.Combine(outDir, ManifestFile);
        if (!File.Exists(manifestPath)) return null;
        var manifest = Manifest.Load(manifestPath);
        if (manifest.Samples.Count != info.Clips || manifest.MissingClips().Count > 0) return null;
        return info with { ManifestPath = manifestPath };
    }

    /// <summary>espeak-ng (22.05 kHz) → sox (16 kHz, no dither) → optional noise → atomic write. Returns the clip length in seconds.</summary>
    private static double Synthesize(DemoUtterance u, string outDir, string workDir, DemoOptions options)
    {
        var final = Path.Combine(outDir, u.ClipPath);
        if (File.Exists(final))
        {
            var have = WavReader.ReadHeader(final);
            return (double)have.Frames / have.SampleRate;
        }
        var raw = Path.Combine(workDir, $"u{u.Id:D4}.espeak.wav");
        var resampled = Path.Combine(workDir, $"u{u.Id:D4}.16k.wav");
        string I(int v) => v.ToString(CultureInfo.InvariantCulture);
        ExternalTool.Run(options.EspeakCommand,
            ["-v", u.Voice, "-p", I(u.Pitch), "-s", I(u.Speed), "-a", I(u.Amplitude), "-g", I(u.WordGap), "-z", "-w", raw, u.Text], "espeak-ng");
        ExternalTool.Run(options.SoxCommand, ["-D", raw, "-r", I(SampleRate), "-c", "1", "-b", "16", resampled], "sox");
        if (!File.Exists(resampled)) throw new SpeechTokException($"{resampled}: the WAV file was not written by {options.SoxCommand}");
        var info = WavReader.ReadHeader(resampled);
        if (info.SampleRate != SampleRate || info.Channels != 1 || info.BitsPerSample != 16)
            throw new SpeechTokException($"{resampled}: sox wrote {info.SampleRate} Hz × {info.Channels} channels at {info.BitsPerSample} bits, expected {SampleRate} Hz mono 16-bit");
        var (samples, _) = WavReader.Read(resampled);
        if (samples.Length == 0) throw new SpeechTokException($"espeak-ng produced no audio for \"{u.Text}\" (voice {u.Voice})");
        if (double.IsFinite(u.NoiseDbfs)) AddNoise(samples, u.NoiseDbfs, u.NoiseSeed);
        WavWriter.Write(final, samples, SampleRate);
        File.Delete(raw);
        File.Delete(resampled);
        return (double)samples.Length / SampleRate;
    }

    /// <summary>Gaussian noise at <paramref name="dbfs"/> RMS (full scale 1.0); the writer rounds to 16 bits and clips.</summary>
    private static void AddNoise(float[] samples, double dbfs, ulong seed)
    {
        var rng = new Rng(seed);
        double sigma = Math.Pow(10, dbfs / 20);
        for (int i = 0; i < samples.Length; i++) samples[i] = (float)(samples[i] + sigma * rng.NextNormal());
    }

    private static string ManifestCsv(IReadOnlyList<DemoUtterance> plan, DemoLabeling labeling)
    {
        var sb = new StringBuilder($"split,index,text,audio_path_list,{(labeling == DemoLabeling.MultiLabel ? "labels" : "label")}\n");
        foreach (var u in plan)
            sb.Append(u.Split).Append(',').Append(u.Index.ToString(CultureInfo.InvariantCulture)).Append(',')
              .Append(Csv.Field(u.Text)).Append(',').Append(u.ClipPath).Append(',')
              .Append(string.Join(";", u.Labels)).Append('\n');
        return sb.ToString();
    }

    private static string GenerationCsv(IReadOnlyList<DemoUtterance> plan, double[] seconds)
    {
        var sb = new StringBuilder("clip,split,index,polarity,arousal,label,voice,pitch,speed,amplitude,word_gap,noise_dbfs,seconds,text\n");
        for (int i = 0; i < plan.Count; i++)
        {
            var u = plan[i];
            sb.Append(CultureInfo.InvariantCulture,
                $"{u.ClipPath},{u.Split},{u.Index},{(u.Polarity == DemoCorpus.Positive ? "positive" : "negative")},{(u.Arousal < 0 ? "" : u.Arousal == DemoCorpus.Excited ? "excited" : "calm")},{string.Join(";", u.Labels)},{u.Voice},{u.Pitch},{u.Speed},{u.Amplitude},{u.WordGap},{(double.IsFinite(u.NoiseDbfs) ? u.NoiseDbfs.ToString("F1", CultureInfo.InvariantCulture) : "")},{seconds[i]:F3},{Csv.Field(u.Text)}\n");
        }
        return sb.ToString();
    }
}
