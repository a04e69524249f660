using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using SpeechTok.Audio;

namespace SpeechTok.Codec.Builtin;

/// <summary>
/// Minimal safetensors (F32 only) for the built-in tokenizer's codebooks: u64 header length, JSON header
/// {name: {dtype, shape, data_offsets}, __metadata__}, then the raw little-endian data. Kept apart so it can
/// give way to the engine's SafeTensors reader/writer when that lands.
/// </summary>
internal static class CodebookFile
{
    public static void Save(string path, IReadOnlyList<(string Name, int[] Shape, float[] Data)> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        var header = new Dictionary<string, object> { ["__metadata__"] = metadata };
        long offset = 0;
        foreach (var (name, shape, data) in tensors)
        {
            header[name] = new Dictionary<string, object> { ["dtype"] = "F32", ["shape"] = shape, ["data_offsets"] = new[] { offset, offset + data.LongLength * 4 } };
            offset += data.LongLength * 4;
        }
        var json = JsonSerializer.SerializeToUtf8Bytes(header);
        int padded = (json.Length + 7) / 8 * 8;
        var buf = new byte[8 + padded + offset];
        BinaryPrimitives.WriteUInt64LittleEndian(buf, (ulong)padded);
        json.CopyTo(buf, 8);
        buf.AsSpan(8 + json.Length, padded - json.Length).Fill((byte)' ');
        long o = 8 + padded;
        foreach (var (_, _, data) in tensors)
        {
            MemoryMarshal.AsBytes(data.AsSpan()).CopyTo(buf.AsSpan((int)o));
            o += data.LongLength * 4;
        }
        AtomicFile.WriteAllBytes(path, buf);
    }

    public static Dictionary<string, (int[] Shape, float[] Data)> Load(string path)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new SpeechTokException($"{path}: cannot read ({e.Message})", e); }
        if (bytes.Length < 8) throw new SpeechTokException($"{path}: truncated safetensors file ({bytes.Length} bytes)");
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (n > (ulong)(bytes.Length - 8)) throw new SpeechTokException($"{path}: truncated: header declares {n} bytes but the file has {bytes.Length - 8}");
        long dataStart = 8 + (long)n;
        var result = new Dictionary<string, (int[], float[])>();
        try
        {
            using var doc = JsonDocument.Parse(bytes.AsMemory(8, (int)n));
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                if (p.Name == "__metadata__") continue;
                var dtype = p.Value.GetProperty("dtype").GetString();
                if (dtype != "F32") throw new SpeechTokException($"{path}: tensor '{p.Name}' has dtype {dtype}, expected F32");
                var shape = p.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
                var offs = p.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
                long count = shape.Aggregate(1L, (a, b) => a * b);
                if (offs.Length != 2 || offs[1] - offs[0] != count * 4 || offs[0] < 0 || dataStart + offs[1] > bytes.Length)
                    throw new SpeechTokException($"{path}: tensor '{p.Name}' data_offsets [{string.Join(",", offs)}] do not fit shape [{string.Join(",", shape)}] and the file size (truncated?)");
                var data = MemoryMarshal.Cast<byte, float>(bytes.AsSpan((int)(dataStart + offs[0]), (int)(count * 4))).ToArray();
                result[p.Name] = (shape, data);
            }
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new SpeechTokException($"{path}: corrupt safetensors header ({e.Message})", e);
        }
        return result;
    }
}
