using SpeechTok.Tensors;

namespace SpeechTok.Codec.Builtin;

/// <summary>
/// Seeded k-means (k-means++ init, Lloyd iterations) on row-major float data, with nearest-centroid search
/// as a GEMM: argmin_c ‖c‖² − 2·x·c. Deterministic for a seed whatever the thread count (assignments are
/// per-row, sums are sequential in double).
/// </summary>
internal static unsafe class KMeans
{
    private const int Chunk = 512;

    /// <summary>Centroids [k × d] fitted to x [n × d].</summary>
    public static float[] Fit(float[] x, int n, int d, int k, int seed, int maxIter, out int iterations)
    {
        if (k < 1 || k > n) throw new ArgumentOutOfRangeException(nameof(k), $"k = {k} for {n} points");
        var c = PlusPlusInit(x, n, d, k, seed);
        var assign = new int[n];
        var dist = new float[n];
        var prev = new int[n];
        Array.Fill(prev, -1);
        iterations = 0;
        for (int it = 0; it < maxIter; it++)
        {
            iterations = it + 1;
            Assign(x, n, d, c, k, assign, dist);
            int changed = 0;
            for (int i = 0; i < n; i++) if (assign[i] != prev[i]) changed++;
            if (changed <= n / 1000 && it > 0) break;
            Array.Copy(assign, prev, n);
            Update(x, n, d, c, k, assign, dist);
        }
        return c;
    }

    private static float[] PlusPlusInit(float[] x, int n, int d, int k, int seed)
    {
        var rng = new Random(seed);
        var c = new float[(long)k * d];
        var best = new float[n];
        int first = rng.Next(n);
        x.AsSpan(first * d, d).CopyTo(c);
        Threading.ForRange(n, 1024, (s, e) =>
        {
            for (int i = s; i < e; i++) best[i] = SqDist(x.AsSpan(i * d, d), c.AsSpan(0, d));
        });
        for (int j = 1; j < k; j++)
        {
            double total = 0;
            for (int i = 0; i < n; i++) total += best[i];
            int pick;
            if (total <= 0) pick = rng.Next(n); // all points coincide with centroids: any choice is as good
            else
            {
                double r = rng.NextDouble() * total, acc = 0;
                pick = n - 1;
                for (int i = 0; i < n; i++)
                {
                    acc += best[i];
                    if (acc > r) { pick = i; break; }
                }
            }
            var cj = c.AsSpan(j * d, d);
            x.AsSpan(pick * d, d).CopyTo(cj);
            var cjArr = c;
            int off = j * d;
            Threading.ForRange(n, 1024, (s, e) =>
            {
                for (int i = s; i < e; i++)
                {
                    float v = SqDist(x.AsSpan(i * d, d), cjArr.AsSpan(off, d));
                    if (v < best[i]) best[i] = v;
                }
            });
        }
        return c;
    }

    private static float SqDist(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        float dd = System.Numerics.Tensors.TensorPrimitives.Distance(a, b);
        return dd * dd;
    }

    /// <summary>Nearest centroid of every row and its squared distance.</summary>
    public static void Assign(float[] x, int n, int d, float[] c, int k, int[] assign, float[]? dist)
    {
        var norms = new float[k];
        for (int j = 0; j < k; j++)
            norms[j] = System.Numerics.Tensors.TensorPrimitives.Dot(c.AsSpan(j * d, d), c.AsSpan(j * d, d));
        // One chunk's products on all threads, then its rows' searches in parallel: chunks run one after another,
        // so the score buffer is allocated once. The chunks are the 512 rows they always were: a GEMM of ≤ 16 rows
        // (a clip's tail chunk) takes the skinny path, which rounds differently from the packed one.
        int chunk = Math.Max(1, Math.Min(n, Chunk));
        var scores = new float[(long)chunk * k];
        for (int r0 = 0; r0 < n; r0 += chunk)
        {
            int rows = Math.Min(chunk, n - r0), first = r0;
            fixed (float* px = &x[r0 * d], pc = c, ps = scores)
                Gemm.Sgemm(false, true, rows, k, d, -2f, px, d, pc, d, 0f, ps, k);
            Threading.ForRange(rows, 256, (s, e) =>
            {
                for (int i = s; i < e; i++)
                {
                    int row = first + i;
                    assign[row] = NearestCode.ArgMin(scores.AsSpan(i * k, k), norms, out float bv);
                    if (dist != null)
                    {
                        var xi = x.AsSpan(row * d, d);
                        dist[row] = Math.Max(0, bv + System.Numerics.Tensors.TensorPrimitives.Dot(xi, xi));
                    }
                }
            });
        }
    }

    /// <summary>Centroid = mean of its points; an empty cluster takes the point farthest from its centroid.</summary>
    private static void Update(float[] x, int n, int d, float[] c, int k, int[] assign, float[] dist)
    {
        var sums = new double[(long)k * d];
        var counts = new int[k];
        for (int i = 0; i < n; i++)
        {
            int a = assign[i];
            counts[a]++;
            var xi = x.AsSpan(i * d, d);
            for (int t = 0; t < d; t++) sums[a * d + t] += xi[t];
        }
        for (int j = 0; j < k; j++)
        {
            if (counts[j] == 0) continue;
            for (int t = 0; t < d; t++) c[j * d + t] = (float)(sums[j * d + t] / counts[j]);
        }
        for (int j = 0; j < k; j++)
        {
            if (counts[j] > 0) continue;
            int far = 0;
            for (int i = 1; i < n; i++) if (dist[i] > dist[far]) far = i;
            x.AsSpan(far * d, d).CopyTo(c.AsSpan(j * d, d));
            dist[far] = 0; // not chosen twice
        }
    }
}
