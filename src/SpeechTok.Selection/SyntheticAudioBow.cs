using System.Security.Cryptography;
using System.Text.Json;
using SpeechTok.Tensors;

namespace SpeechTok.Selection;

/// <summary>
/// The integer-only generator of the synthetic AFD-shaped audio bag of tokens in
/// tests/fixtures/l1-selection/synthetic.json (counter-based SplitMix64, Zipf–Mandelbrot code ranks,
/// planted codes in positive rows). Rebuilt bit-for-bit; <see cref="Checksums"/> are those the fixture lists.
/// </summary>
public sealed class SyntheticAudioBow
{
    public required CsrMatrix Counts { get; init; }
    public required int[] Labels { get; init; }
    public required int[] PlantedFeatures { get; init; }
    public required Dictionary<string, string> Checksums { get; init; }

    internal static ulong X(ulong seed, ulong i) => SplitMix64.Mix(seed + (i + 1) * SplitMix64.Gamma);
    internal static ulong U32(ulong seed, ulong i) => X(seed, i) >> 32;

    /// <summary>Generates from the <c>generator.params</c> object of synthetic.json.</summary>
    public static SyntheticAudioBow Generate(JsonElement p)
    {
        int Int(string name) => p.TryGetProperty(name, out var v) ? v.GetInt32() : throw new SpeechTokException($"synthetic generator params: '{name}' missing");
        ulong Seed(string name) => (ulong)Int(name);
        int n = Int("N"), pPos = Int("P_POS"), layers = Int("LAYERS"), codes = Int("CODES"), tMin = Int("T_MIN"), tSpan = Int("T_SPAN");
        int q = Int("Q"), weightScale = Int("WEIGHT_SCALE"), nPlanted = Int("N_PLANTED"), rank0 = Int("PLANT_RANK0"), rankStep = Int("PLANT_RANK_STEP");
        ulong epsNum = (ulong)p.GetProperty("EPS_NUM").GetInt64();
        ulong sLabel = Seed("SEED_LABEL"), sFrames = Seed("SEED_FRAMES"), sPerm = Seed("SEED_PERM"), sTok = Seed("SEED_TOK"), sPlant = Seed("SEED_PLANT"), sPick = Seed("SEED_PICK");

        // 1. labels: the P smallest keys are positive.
        var keys = new ulong[n];
        for (int r = 0; r < n; r++) keys[r] = X(sLabel, (ulong)r);
        var order = Enumerable.Range(0, n).OrderBy(r => keys[r]).ToArray();
        var y = new int[n];
        for (int i = 0; i < pPos; i++) y[order[i]] = 1;

        // 3. rank → code permutation per layer.
        var perm = new int[layers][];
        for (int l = 0; l < layers; l++)
        {
            var k = new ulong[codes];
            for (int c = 0; c < codes; c++) k[c] = X(sPerm, (ulong)(l * codes + c));
            perm[l] = Enumerable.Range(0, codes).OrderBy(c => k[c]).ToArray();
        }
        // 4. integer Zipf–Mandelbrot weights.
        var cum = new ulong[codes];
        ulong acc = 0;
        for (int j = 0; j < codes; j++) { acc += (ulong)(weightScale / (j + q)); cum[j] = acc; }
        ulong total = acc;
        // 6. planted features, grouped per layer in list order.
        var planted = new int[nPlanted];
        var plantedByLayer = Enumerable.Range(0, layers).Select(_ => new List<int>()).ToArray();
        for (int j = 0; j < nPlanted; j++)
        {
            int l = j % layers, code = perm[l][rank0 + rankStep * j];
            planted[j] = l * codes + code;
            plantedByLayer[l].Add(code);
        }

        // 5. tokens, row by row (rows are independent: counter-based streams).
        int cols = layers * codes;
        var rowIdx = new int[n][];
        var rowVal = new int[n][];
        Threading.ForRange(n, 64, (r0, r1) =>
        {
            var count = new int[cols];
            for (int r = r0; r < r1; r++)
            {
                int frames = tMin + (int)((U32(sFrames, (ulong)r) * (ulong)tSpan) >> 32);
                for (int l = 0; l < layers; l++)
                {
                    var pl = plantedByLayer[l];
                    for (int t = 0; t < frames; t++)
                    {
                        ulong c = (ulong)((r * layers + l) * codes + t);
                        int code;
                        if (y[r] == 1 && pl.Count > 0 && U32(sPlant, c) < epsNum)
                            code = pl[(int)((U32(sPick, c) * (ulong)pl.Count) >> 32)];
                        else
                        {
                            ulong target = (U32(sTok, c) * total) >> 32;
                            int lo = 0, hi = codes - 1; // smallest j with cum[j] > target
                            while (lo < hi) { int mid = (lo + hi) >> 1; if (cum[mid] > target) hi = mid; else lo = mid + 1; }
                            code = perm[l][lo];
                        }
                        count[l * codes + code]++;
                    }
                }
                int nz = 0;
                for (int f = 0; f < cols; f++) if (count[f] != 0) nz++;
                var idx = new int[nz];
                var val = new int[nz];
                for (int f = 0, k = 0; f < cols; f++)
                    if (count[f] != 0) { idx[k] = f; val[k++] = count[f]; count[f] = 0; }
                rowIdx[r] = idx; rowVal[r] = val;
            }
        });

        var indPtr = new int[n + 1];
        for (int r = 0; r < n; r++) indPtr[r + 1] = checked(indPtr[r] + rowIdx[r].Length);
        var indices = new int[indPtr[n]];
        var values = new double[indPtr[n]];
        var dataInt = new int[indPtr[n]];
        for (int r = 0; r < n; r++)
        {
            rowIdx[r].CopyTo(indices, indPtr[r]);
            rowVal[r].CopyTo(dataInt, indPtr[r]);
        }
        for (int i = 0; i < values.Length; i++) values[i] = dataInt[i];

        var sums = new Dictionary<string, string>
        {
            ["nnz"] = indPtr[n].ToString(),
            ["total_count"] = dataInt.Sum(v => (long)v).ToString(),
            ["sha256_indptr_int64le"] = Sha(indPtr.Select(v => (long)v).ToArray().AsSpan()),
            ["sha256_indices_int32le"] = Sha(indices.AsSpan()),
            ["sha256_data_int32le"] = Sha(dataInt.AsSpan()),
            ["sha256_y_int8"] = Convert.ToHexStringLower(SHA256.HashData(y.Select(v => (byte)v).ToArray())),
        };
        return new SyntheticAudioBow { Counts = new CsrMatrix(n, cols, indPtr, indices, values), Labels = y, PlantedFeatures = planted, Checksums = sums };
    }

    // Little-endian hosts only (x64/arm64), as the fixture's byte layouts.
    private static string Sha<T>(Span<T> data) where T : unmanaged =>
        Convert.ToHexStringLower(SHA256.HashData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(data)));

    /// <summary>Compares with <c>generator.checksums</c>, which must list every one of <see cref="Checksums"/>; a mismatch or a
    /// missing checksum is an error naming the field.</summary>
    public void VerifyChecksums(JsonElement expected)
    {
        foreach (var (name, ours) in Checksums)
        {
            if (expected.ValueKind != JsonValueKind.Object || !expected.TryGetProperty(name, out var e))
                throw new SpeechTokException($"synthetic matrix: the fixture's generator.checksums has no '{name}', so the matrix cannot be verified");
            var theirs = e.ValueKind == JsonValueKind.Number ? e.GetInt64().ToString() : e.GetString();
            if (theirs != ours) throw new SpeechTokException($"synthetic matrix: checksum '{name}' is {ours}, the fixture says {theirs}");
        }
    }
}
