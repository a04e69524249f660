using System.Security.Cryptography;
using System.Text;

namespace SpeechTok.Experiments.Demo;

/// <summary>Settings of the built-in synthetic speech dataset. Everything but <see cref="Parallelism"/> enters the options hash.</summary>
public sealed record DemoOptions
{
    /// <summary>Number of utterances; a multiple of 4, at least 24 (every text is spoken once calm and once excited).</summary>
    public int Count { get; init; } = 480;

    public int Seed { get; init; } = 7;

    public DemoLabeling Labeling { get; init; } = DemoLabeling.Quadrants;

    /// <summary>The task of the manifest <see cref="Labeling"/> gives, known before anything is built.</summary>
    public TaskKind Task => Labeling switch
    {
        DemoLabeling.Incongruent => TaskKind.Binary,
        DemoLabeling.MultiLabel => TaskKind.Multilabel,
        _ => TaskKind.Multiclass,
    };

    /// <summary>Adds low-level Gaussian noise (−55 to −40 dBFS RMS, random per clip).</summary>
    public bool Noise { get; init; } = true;

    /// <summary>Concurrent espeak-ng/sox pipelines; 0 = two per core.</summary>
    public int Parallelism { get; init; }

    internal string EspeakCommand { get; init; } = "espeak-ng";
    internal string SoxCommand { get; init; } = "sox";

    /// <summary>Bumped whenever the generator changes what it produces for the same options.</summary>
    internal const int GeneratorVersion = 2;

    internal string CanonicalString() => $"demo-v{GeneratorVersion}|count={Count}|seed={Seed}|labeling={Labeling}|noise={Noise}";

    /// <summary>A short hash identifying what <see cref="DemoDataset.Build"/> writes for these options.</summary>
    public string Hash() => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(CanonicalString())))[..16];

    /// <summary>Checks the settings before anything is built or printed; errors name the CLI option.</summary>
    public void Validate()
    {
        if (Count < 24 || Count % 4 != 0)
            throw new SpeechTokException($"--count {Count}: must be a multiple of 4 and at least 24 (every text is spoken once calm and once excited)");
        if (Parallelism < 0) throw new SpeechTokException($"demo dataset: parallelism {Parallelism} must be ≥ 0");
    }
}
