namespace SpeechTok.Experiments.Report;

/// <summary>
/// Per-frame acoustic descriptors of one sample at the codec's frame rate (computed by the audio step):
/// F0 in Hz (any value on unvoiced frames), frame energy in dB, spectral centroid in Hz, and voicing.
/// </summary>
public sealed record FrameDescriptors(float[] F0Hz, float[] EnergyDb, float[] CentroidHz, bool[] Voiced)
{
    internal int Length => F0Hz.Length;
}

/// <summary>One sample for the token report: its codes (<c>codes[q][t]</c>, all quantizers), descriptors and, optionally, its class.</summary>
public sealed record TokenReportSample(string Key, int[][] Codes, FrameDescriptors Frames, int? Label = null);

/// <summary>Acoustics of the frames where one selected token occurs (or of all frames).</summary>
public sealed record TokenStats(
    string Token, int Feature, int Layer, int Code, long Count, int Samples,
    double MeanF0Hz, double MeanEnergyDb, double MeanCentroidHz, double VoicedFraction,
    int? TopClass, double TopClassShare);

/// <summary>
/// The paper's open question 3 — what do the selected tokens hear? For each selected feature
/// (<c>i·codebookSize + code</c> over the used layers) the mean F0 (voiced frames only), energy, spectral
/// centroid and voiced share of the frames where it occurs, next to the same over all frames.
/// </summary>
public sealed record TokenReport(TokenStats AllFrames, IReadOnlyList<TokenStats> Tokens)
{
    /// <param name="selectedFeatures">Selected feature ids; their rank in ascending order gives the token name <c>&lt;audio_token_rank&gt;</c>.</param>
    /// <param name="firstCodebook">The codebook (0-based) of used layer 0: 0 for layers 1–8, 1 for layers 2–8.</param>
    public static TokenReport Compute(IReadOnlyList<int> selectedFeatures, int firstCodebook, int codebookSize, IEnumerable<TokenReportSample> samples)
    {
        if (codebookSize <= 0) throw new SpeechTokException($"token report: codebook size {codebookSize} must be positive");
        if (firstCodebook < 0) throw new SpeechTokException($"token report: first codebook {firstCodebook} must be ≥ 0");
        var sorted = selectedFeatures.Distinct().Order().ToArray();
        if (sorted.Length > 0 && sorted[0] < 0) throw new SpeechTokException($"token report: feature id {sorted[0]} is negative");
        var rank = new Dictionary<int, int>();
        for (int i = 0; i < sorted.Length; i++) rank[sorted[i]] = i;
        int usedLayers = sorted.Length == 0 ? 0 : sorted[^1] / codebookSize + 1;

        var acc = new Acc[sorted.Length];
        for (int i = 0; i < acc.Length; i++) acc[i] = new Acc();
        var all = new Acc();
        foreach (var s in samples)
        {
            var f = s.Frames;
            if (f.EnergyDb.Length != f.Length || f.CentroidHz.Length != f.Length || f.Voiced.Length != f.Length)
                throw new SpeechTokException($"token report: sample {s.Key}: descriptor arrays differ in length (F0 {f.Length}, energy {f.EnergyDb.Length}, centroid {f.CentroidHz.Length}, voiced {f.Voiced.Length})");
            if (s.Codes.Length < firstCodebook + usedLayers)
                throw new SpeechTokException($"token report: sample {s.Key} has {s.Codes.Length} code layers; the selection needs {firstCodebook + usedLayers}");
            int frames = s.Codes.Length == 0 ? 0 : s.Codes.Min(c => c.Length);
            // Codec and descriptor framings may round the last frame differently; more than that means mismatched hops.
            if (Math.Abs(frames - f.Length) > 2)
                throw new SpeechTokException($"token report: sample {s.Key} has {frames} code frames but {f.Length} descriptor frames");
            frames = Math.Min(frames, f.Length);
            var seen = new HashSet<int>();
            for (int t = 0; t < frames; t++)
            {
                all.Add(f, t, s.Label);
                for (int layer = 0; layer < usedLayers; layer++)
                {
                    int code = s.Codes[firstCodebook + layer][t];
                    if (code < 0 || code >= codebookSize)
                        throw new SpeechTokException($"token report: sample {s.Key} has code {code} at layer {firstCodebook + layer}, frame {t}, outside 0..{codebookSize - 1}");
                    if (rank.TryGetValue(layer * codebookSize + code, out int r))
                    {
                        acc[r].Add(f, t, s.Label);
                        if (seen.Add(r)) acc[r].Samples++;
                    }
                }
            }
            all.Samples++;
        }
        var tokens = sorted.Select((feature, r) => acc[r].Stats($"<audio_token_{r}>", feature, firstCodebook + feature / codebookSize + 1, feature % codebookSize)).ToList();
        return new TokenReport(all.Stats("all frames", -1, 0, -1), tokens);
    }

    private sealed class Acc
    {
        public long Count, Voiced;
        public int Samples;
        public double SumF0, SumEnergy, SumCentroid;
        public readonly Dictionary<int, long> ByClass = [];

        public void Add(FrameDescriptors f, int t, int? label)
        {
            Count++;
            if (f.Voiced[t]) { Voiced++; SumF0 += f.F0Hz[t]; }
            SumEnergy += f.EnergyDb[t];
            SumCentroid += f.CentroidHz[t];
            if (label is int l) ByClass[l] = ByClass.GetValueOrDefault(l) + 1;
        }

        public TokenStats Stats(string name, int feature, int layer, int code)
        {
            var top = ByClass.Count == 0 ? (KeyValuePair<int, long>?)null : ByClass.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key).First();
            long labelled = ByClass.Values.Sum();
            return new TokenStats(name, feature, layer, code, Count, Samples,
                Voiced == 0 ? double.NaN : SumF0 / Voiced,
                Count == 0 ? double.NaN : SumEnergy / Count,
                Count == 0 ? double.NaN : SumCentroid / Count,
                Count == 0 ? double.NaN : (double)Voiced / Count,
                top?.Key, top == null ? double.NaN : (double)top.Value.Value / labelled);
        }
    }
}
