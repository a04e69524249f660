using SpeechTok.Codec;

namespace SpeechTok.Experiments.Report;

/// <summary>
/// The paper's open question 3 — what do the selected tokens hear? For each selected feature
/// (ids of an <see cref="AudioFeatureLayout"/>) the mean F0 (voiced frames only), energy, spectral
/// centroid and voiced share of the frames where it occurs, next to the same over all frames.
/// </summary>
public sealed record TokenReport(TokenStats AllFrames, IReadOnlyList<TokenStats> Tokens)
{
    /// <param name="selectedFeatures">Selected feature ids; their rank in ascending order gives the token name <c>&lt;audio_token_rank&gt;</c>.</param>
    /// <param name="layout">The layout the ids refer to (selection.json's layers and codebook size).</param>
    public static TokenReport Compute(IReadOnlyList<int> selectedFeatures, AudioFeatureLayout layout, IEnumerable<TokenReportSample> samples)
    {
        var sorted = selectedFeatures.Distinct().Order().ToArray();
        foreach (var f in sorted) layout.Decode(f); // every id inside the layout
        var rank = new Dictionary<int, int>();
        for (int i = 0; i < sorted.Length; i++) rank[sorted[i]] = i;
        // Only the layers up to the last one holding a selected feature are read.
        int usedLayers = sorted.Length == 0 ? 0 : sorted[^1] / layout.CodebookSize + 1;
        int codeLayers = usedLayers == 0 ? 0 : layout.Layers[usedLayers - 1] + 1;

        var acc = new Acc[sorted.Length];
        for (int i = 0; i < acc.Length; i++) acc[i] = new Acc();
        var all = new Acc();
        foreach (var s in samples)
        {
            var f = s.Frames;
            if (f.EnergyDb.Length != f.Length || f.CentroidHz.Length != f.Length || f.Voiced.Length != f.Length)
                throw new SpeechTokException($"token report: sample {s.Key}: descriptor arrays differ in length (F0 {f.Length}, energy {f.EnergyDb.Length}, centroid {f.CentroidHz.Length}, voiced {f.Voiced.Length})");
            if (s.Codes.Length < codeLayers)
                throw new SpeechTokException($"token report: sample {s.Key} has {s.Codes.Length} code layers; the selection needs {codeLayers}");
            int frames = s.Codes.Length == 0 ? 0 : s.Codes.Min(c => c.Length);
            // Codec and descriptor framings may round the last frame differently; more than that means mismatched hops.
            if (Math.Abs(frames - f.Length) > 2)
                throw new SpeechTokException($"token report: sample {s.Key} has {frames} code frames but {f.Length} descriptor frames");
            frames = Math.Min(frames, f.Length);
            var seen = new HashSet<int>();
            for (int t = 0; t < frames; t++)
            {
                all.Add(f, t, s.Label);
                for (int i = 0; i < usedLayers; i++)
                {
                    int layer = layout.Layers[i], code = s.Codes[layer][t];
                    if (code < 0 || code >= layout.CodebookSize)
                        throw new SpeechTokException($"token report: sample {s.Key} has code {code} at RVQ layer {layer + 1}, frame {t}, outside 0..{layout.CodebookSize - 1}");
                    if (rank.TryGetValue(layout.Encode(i, code), out int r))
                    {
                        acc[r].Add(f, t, s.Label);
                        if (seen.Add(r)) acc[r].Samples++;
                    }
                }
            }
            all.Samples++;
        }
        var tokens = sorted.Select((feature, r) =>
        {
            var (layer, code) = layout.Decode(feature);
            return acc[r].Stats(AudioFeatureLayout.TokenName(r), feature, layer + 1, code);
        }).ToList();
        return new TokenReport(all.Stats("all frames", -1, 0, -1), tokens);
    }

    private sealed class Acc
    {
        public long Count, Voiced;
        public int Samples;
        public double SumF0, SumEnergy, SumCentroid;
        public readonly Dictionary<int, long> ByClass = [];

        public void Add(FrameAcoustics f, int t, int? label)
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
