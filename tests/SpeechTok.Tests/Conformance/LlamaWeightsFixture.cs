using System.Buffers.Binary;
using System.Text.Json;

namespace SpeechTok.Tests.Conformance;

/// <summary>
/// Reads a llama-* fixture's reference.json manifest (<c>tensors.&lt;name&gt;</c>: file, dtype, shape,
/// checksum) and its raw little-endian .bin files, and compares float64 checksums.
/// </summary>
internal static class LlamaWeightsFixture
{
    public static JsonDocument Reference(string folder) => JsonDocument.Parse(File.ReadAllBytes(Path.Combine(folder, "reference.json")));

    public static JsonElement Manifest(JsonDocument reference) => reference.RootElement.GetProperty("tensors");

    public static int[] Shape(JsonElement entry) => entry.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()).ToArray();

    /// <summary>The float32 tensor <paramref name="name"/> of the manifest, read from its .bin file.</summary>
    public static float[] ReadF32(string folder, JsonDocument reference, string name, out int[] shape)
    {
        var entry = Manifest(reference).GetProperty(name);
        Assert.Equal("float32", entry.GetProperty("dtype").GetString());
        shape = Shape(entry);
        var bytes = File.ReadAllBytes(Path.Combine(folder, entry.GetProperty("file").GetString()!));
        long n = shape.Aggregate(1L, (a, d) => a * d);
        Assert.Equal(n * 4, bytes.Length);
        var values = new float[n];
        for (int i = 0; i < n; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(4 * i));
        return values;
    }

    public static float[] ReadF32(string folder, JsonDocument reference, string name) => ReadF32(folder, reference, name, out _);

    public readonly record struct Checksum(double Sum, double AbsSum, double SqSum, double MaxAbs);

    public static Checksum Compute(ReadOnlySpan<float> values)
    {
        double sum = 0, abs = 0, sq = 0, max = 0;
        foreach (float f in values)
        {
            double v = f;
            sum += v;
            abs += Math.Abs(v);
            sq += v * v;
            max = Math.Max(max, Math.Abs(v));
        }
        return new Checksum(sum, abs, sq, max);
    }

    /// <summary>
    /// Float64 sums of the same float32 values differ only by summation order (≈ n·2⁻⁵³ of abs_sum), so
    /// 1e-9 of the magnitude is a tight tolerance; max_abs is one float32 value and must be exact.
    /// </summary>
    public static bool Matches(JsonElement checksum, Checksum c, out string why)
    {
        double sum = checksum.GetProperty("sum").GetDouble(), abs = checksum.GetProperty("abs_sum").GetDouble();
        double sq = checksum.GetProperty("sq_sum").GetDouble(), max = checksum.GetProperty("max_abs").GetDouble();
        why = $"expected sum {sum:R} abs_sum {abs:R} sq_sum {sq:R} max_abs {max:R}; got {c.Sum:R} {c.AbsSum:R} {c.SqSum:R} {c.MaxAbs:R}";
        double tol = 1e-9 * Math.Max(abs, 1e-30);
        return Math.Abs(c.Sum - sum) <= tol && Math.Abs(c.AbsSum - abs) <= tol
            && Math.Abs(c.SqSum - sq) <= 1e-9 * Math.Max(sq, 1e-30) && c.MaxAbs == max;
    }
}
