using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SpeechTok.Tests.Fuzz;

/// <summary>
/// Seeded mutations for the fuzz tests: byte-level (bit flips, boundary bytes, little-endian length fields
/// overwritten with boundary values, truncation, insertion, deletion, duplication) and JSON-aware (a node
/// replaced by a boundary value or another type, deleted, duplicated, renamed, its string or number nudged).
/// </summary>
internal sealed class Mutator(int seed)
{
    public Random Rng { get; } = new(seed);

    /// <summary>Integers that sit on the edges parsers get wrong: 0, ±1, powers of two and the 8/16/32/64-bit limits.</summary>
    public static readonly long[] Boundary =
    [
        0, 1, -1, 2, 3, 7, 8, 16, 127, 128, 255, 256, 0x7FFF, 0x8000, 0xFFFF, 0x10000, 1_000_000, int.MaxValue, int.MinValue,
        (long)int.MaxValue + 1, uint.MaxValue, (long)uint.MaxValue + 1, 1L << 40, long.MaxValue, long.MinValue,
    ];

    private static readonly JsonNode?[] JsonBoundary =
    [
        null, true, false, 0, -1, 1, 2, int.MaxValue, (long)int.MaxValue + 1, int.MinValue, long.MaxValue, 9007199254740993L, 1e308, -1e308,
        0.5, -0.0, "", "x", "\u0000", "\uD800", new string('a', 300), "-1", "NaN",
    ];

    public int Next(int max) => Rng.Next(max);
    public bool Chance(double p) => Rng.NextDouble() < p;
    public T Pick<T>(IReadOnlyList<T> items) => items[Rng.Next(items.Count)];
    public long BoundaryValue() => Pick(Boundary);

    /// <summary>1–4 byte-level mutations of a copy of <paramref name="input"/>.</summary>
    public byte[] Bytes(byte[] input)
    {
        var b = new List<byte>(input);
        int n = 1 + Rng.Next(4);
        for (int k = 0; k < n; k++)
        {
            int len = b.Count;
            int pos = len == 0 ? 0 : Rng.Next(len);
            switch (Rng.Next(9))
            {
                case 0 when len > 0: b[pos] ^= (byte)(1 << Rng.Next(8)); break;
                case 1 when len > 0: b[pos] = (byte)Pick(Boundary); break;
                case 2 when len > 0:
                {
                    // a little-endian 2/4/8-byte field overwritten with a boundary value: lengths, counts, offsets
                    int width = Pick(new[] { 2, 4, 8 });
                    var v = new byte[8];
                    BinaryPrimitives.WriteInt64LittleEndian(v, BoundaryValue());
                    for (int i = 0; i < width && pos + i < len; i++) b[pos + i] = v[i];
                    break;
                }
                case 3: if (len > 0) b.RemoveRange(pos, len - pos); break; // truncate
                case 4:
                {
                    var ins = new byte[1 + Rng.Next(8)];
                    Rng.NextBytes(ins);
                    b.InsertRange(pos, ins);
                    break;
                }
                case 5 when len > 0: b.RemoveRange(pos, Math.Min(len - pos, 1 + Rng.Next(16))); break;
                case 6 when len > 0:
                {
                    int count = Math.Min(len - pos, 1 + Rng.Next(64));
                    b.InsertRange(Rng.Next(len + 1), b.GetRange(pos, count));
                    break;
                }
                case 7:
                {
                    var v = new byte[4];
                    BinaryPrimitives.WriteInt32LittleEndian(v, (int)BoundaryValue());
                    b.InsertRange(pos, v);
                    break;
                }
                default: if (len > 0) b[pos] = (byte)Rng.Next(256); break;
            }
        }
        return b.ToArray();
    }

    /// <summary>Overwrites the little-endian field of <paramref name="width"/> bytes at <paramref name="offset"/> with a boundary value.</summary>
    public void CorruptField(byte[] b, int offset, int width)
    {
        var v = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(v, BoundaryValue() + (Chance(0.3) ? Rng.Next(-3, 4) : 0));
        for (int i = 0; i < width && offset + i < b.Length; i++) b[offset + i] = v[i];
    }

    /// <summary>A JSON text mutated at 1–3 nodes; a text that does not parse gets byte-level mutations.</summary>
    public string Json(string json)
    {
        JsonNode? root;
        try { root = JsonNode.Parse(json); }
        catch (JsonException) { return Encoding.UTF8.GetString(Bytes(Encoding.UTF8.GetBytes(json))); }
        if (root == null) return "null";
        int n = 1 + Rng.Next(3);
        for (int k = 0; k < n && root != null; k++) root = MutateNode(root);
        return root?.ToJsonString() ?? "null";
    }

    /// <summary>Applies one mutation to a random node of <paramref name="root"/>; returns the (possibly new) root.</summary>
    public JsonNode? MutateNode(JsonNode root)
    {
        var nodes = new List<JsonNode>();
        Collect(root, nodes);
        var target = Pick(nodes);
        var parent = target.Parent;
        JsonNode? replacement;
        switch (Rng.Next(8))
        {
            case 0 when parent is JsonObject po: po.Remove(target.GetPropertyName()); return root;
            case 1 when parent is JsonArray pa: pa.RemoveAt(target.GetElementIndex()); return root;
            case 2 when parent is JsonArray pa: pa.Insert(Rng.Next(pa.Count + 1), target.DeepClone()); return root;
            case 3 when parent is JsonObject po:
            {
                string name = target.GetPropertyName();
                po.Remove(name);
                po[Chance(0.5) ? name + "_" : name.Length > 1 ? name[..^1] : "x"] = target;
                return root;
            }
            case 4 when target.GetValueKind() == JsonValueKind.String:
            {
                var s = target.GetValue<string>();
                int at = Rng.Next(s.Length + 1);
                replacement = Rng.Next(3) switch
                {
                    0 => s[..at],
                    1 => s[..at] + Pick(new[] { "\u0000", "é", "\uD83D\uDE00", " ", "\"", "\\", "Ġ", "\n" }) + s[at..],
                    _ => s + s,
                };
                break;
            }
            case 5 when target.GetValueKind() == JsonValueKind.Number:
            {
                double d = double.Parse(target.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture);
                double v = Rng.Next(4) switch { 0 => d + 1, 1 => d - 1, 2 => -d, _ => d * 1000 + 0.5 };
                replacement = double.IsFinite(v) ? v : double.MaxValue;
                break;
            }
            case 6: replacement = Chance(0.5) ? new JsonArray() : new JsonObject(); break;
            default: replacement = Pick(JsonBoundary)?.DeepClone(); break;
        }
        if (parent == null) return replacement;
        if (parent is JsonObject o) o[target.GetPropertyName()] = replacement;
        else ((JsonArray)parent)[target.GetElementIndex()] = replacement;
        return root;
    }

    private static void Collect(JsonNode node, List<JsonNode> into)
    {
        into.Add(node);
        if (node is JsonObject o) foreach (var (_, v) in o) { if (v != null) Collect(v, into); }
        else if (node is JsonArray a) foreach (var v in a) { if (v != null) Collect(v, into); }
    }
}
