using System.Buffers.Binary;
using System.Text.Json;
using SpeechTok.IO;

namespace SpeechTok.Tensors.IO;

/// <summary>
/// Reads and writes the safetensors format: an 8-byte little-endian header length N, N bytes of JSON
/// (<c>{"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {..}}</c>), then the
/// raw little-endian data, the tensors back to back from offset 0 in any header order, which ends the file; offsets are
/// relative to the end of the header. Files are memory-mapped
/// read-only and tensors are zero-copy views into the mapping. Every structural defect is reported as a
/// <see cref="SpeechTokException"/> naming the file and the defect.
/// </summary>
public sealed unsafe class SafeTensors : IDisposable
{
    public const string IndexFileName = "model.safetensors.index.json";
    public const string ModelFileName = "model.safetensors";

    // Header sizes above this are refused before anything is allocated (the reference implementation uses the same cap).
    private const long MaxHeaderBytes = 100_000_000;

    private static readonly Dictionary<string, int> DTypeSizes = new(StringComparer.Ordinal)
    {
        ["BOOL"] = 1, ["U8"] = 1, ["I8"] = 1, ["F8_E5M2"] = 1, ["F8_E4M3"] = 1,
        ["I16"] = 2, ["U16"] = 2, ["F16"] = 2, ["BF16"] = 2,
        ["I32"] = 4, ["U32"] = 4, ["F32"] = 4,
        ["I64"] = 8, ["U64"] = 8, ["F64"] = 8,
    };

    internal sealed record Entry(string Name, string DType, int[] Shape, long Begin, long End, MappedFile File, long DataStart);

    private readonly Dictionary<string, Entry> _entries;
    private readonly List<string> _names;
    private readonly List<MappedFile> _files;
    private bool _disposed;

    /// <summary>Tensor names, in header (or index) order.</summary>
    public IReadOnlyCollection<string> Names => _names;

    /// <summary>The <c>__metadata__</c> map (for a sharded model: the index's <c>metadata</c>, non-string values as JSON text).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    private SafeTensors(List<MappedFile> files, List<string> names, Dictionary<string, Entry> entries, Dictionary<string, string> metadata)
    {
        _files = files;
        _names = names;
        _entries = entries;
        Metadata = metadata;
    }

    /// <summary>Opens one safetensors file, memory-mapped read-only, and validates its header.</summary>
    public static SafeTensors Open(string path)
    {
        var (file, entries, metadata) = OpenFile(path);
        return new SafeTensors([file], entries.Select(e => e.Name).ToList(), entries.ToDictionary(e => e.Name), metadata);
    }

    /// <summary>
    /// Opens a Hugging Face model folder: <c>model.safetensors</c>, or the shards listed by
    /// <c>model.safetensors.index.json</c> (the single file wins when both exist, as in transformers' <c>from_pretrained</c>).
    /// A folder with only <c>pytorch_model.bin</c> (or its index) is refused with how to convert it.
    /// </summary>
    public static SafeTensors OpenModel(string folder)
    {
        folder = InputPaths.RequireFolder(folder, "model folder");
        var single = Path.Combine(folder, ModelFileName);
        if (File.Exists(single)) return Open(single);
        var index = Path.Combine(folder, IndexFileName);
        if (File.Exists(index)) return OpenSharded(folder, index);
        string? bin = PyTorchFileNames.FirstOrDefault(n => File.Exists(Path.Combine(folder, n)));
        throw new SpeechTokException($"model folder '{folder}' has neither {ModelFileName} nor {IndexFileName}" + (bin == null ? "" :
            $"; it has {bin}, a PyTorch checkpoint, which is not read here: convert it once with transformers, "
            + "AutoModelForCausalLM.from_pretrained(folder, torch_dtype=\"auto\").save_pretrained(folder, safe_serialization=True), which writes model.safetensors beside it"));
    }

    /// <summary>transformers' PyTorch weight files (WEIGHTS_NAME and WEIGHTS_INDEX_NAME), named when a folder has only these.</summary>
    private static readonly string[] PyTorchFileNames = ["pytorch_model.bin", "pytorch_model.bin.index.json"];

    public bool Contains(string name) => _entries.ContainsKey(name);

    /// <summary>The safetensors dtype string of a tensor (e.g. "BF16", "I64").</summary>
    public string DTypeOf(string name) => Find(name).DType;

    public int[] ShapeOf(string name) => (int[])Find(name).Shape.Clone();

    /// <summary>A read-only, zero-copy view of an F32/BF16/F16 tensor. It keeps the mapping alive until disposed (or forever, if never disposed).</summary>
    public Tensor Get(string name)
    {
        var e = Find(name);
        DType dtype = e.DType switch
        {
            "F32" => DType.F32,
            "BF16" => DType.BF16,
            "F16" => DType.F16,
            _ => throw new SpeechTokException($"safetensors file '{e.File.Path}': tensor '{name}' has dtype {e.DType}; only F32, BF16 and F16 load as float tensors"),
        };
        if (Tensor.Count(e.Shape) > int.MaxValue)
            throw new SpeechTokException($"safetensors file '{e.File.Path}': tensor '{name}' has {Tensor.Count(e.Shape)} elements, more than one tensor can address");
        return Tensor.View(dtype, e.File.Pointer + e.DataStart + e.Begin, (int[])e.Shape.Clone(), e.File.Lease(), readOnly: true);
    }

    /// <summary>An integer tensor (I64, I32, I16, I8, U8 or BOOL) copied into a flat array, e.g. token ids in a fixture.</summary>
    public long[] GetInt64(string name)
    {
        var e = Find(name);
        long n = Tensor.Count(e.Shape);
        if (n > Array.MaxLength) throw new SpeechTokException($"safetensors file '{e.File.Path}': tensor '{name}' is too large to copy");
        byte* p = e.File.Pointer + e.DataStart + e.Begin;
        var r = new long[n];
        switch (e.DType)
        {
            case "I64": for (long i = 0; i < n; i++) r[i] = BinaryPrimitives.ReadInt64LittleEndian(new ReadOnlySpan<byte>(p + 8 * i, 8)); break;
            case "I32": for (long i = 0; i < n; i++) r[i] = BinaryPrimitives.ReadInt32LittleEndian(new ReadOnlySpan<byte>(p + 4 * i, 4)); break;
            case "I16": for (long i = 0; i < n; i++) r[i] = BinaryPrimitives.ReadInt16LittleEndian(new ReadOnlySpan<byte>(p + 2 * i, 2)); break;
            case "I8": for (long i = 0; i < n; i++) r[i] = ((sbyte*)p)[i]; break;
            case "U8" or "BOOL": for (long i = 0; i < n; i++) r[i] = p[i]; break;
            default: throw new SpeechTokException($"safetensors file '{e.File.Path}': tensor '{name}' has dtype {e.DType}, not an integer dtype");
        }
        return r;
    }

    private Entry Find(string name)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_entries.TryGetValue(name, out var e)) return e;
        throw new SpeechTokException($"safetensors {(_files.Count == 1 ? "file '" + _files[0].Path + "'" : "model")}: no tensor named '{name}'");
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var f in _files) f.Release();
    }

    /// <summary>
    /// Writes tensors (F32/BF16/F16, as stored) atomically: a temporary file in the same folder, then a move.
    /// The header is padded with spaces to a multiple of 8 so that the data is aligned.
    /// </summary>
    public static void Save(string path, IEnumerable<(string Name, Tensor Tensor)> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var list = tensors.ToList();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, _) in list)
        {
            if (string.IsNullOrEmpty(name) || name == "__metadata__") throw new SpeechTokException($"cannot save '{path}': invalid tensor name '{name}'");
            if (!seen.Add(name)) throw new SpeechTokException($"cannot save '{path}': tensor name '{name}' appears twice");
        }

        var json = new MemoryStream();
        using (var w = new Utf8JsonWriter(json))
        {
            w.WriteStartObject();
            if (metadata != null)
            {
                w.WriteStartObject("__metadata__");
                foreach (var (k, v) in metadata) w.WriteString(k, v);
                w.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, t) in list)
            {
                long bytes = t.Length * t.DType.Size();
                w.WriteStartObject(name);
                w.WriteString("dtype", t.DType.SafetensorsName());
                w.WriteStartArray("shape");
                foreach (var d in t.Shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + bytes);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += bytes;
            }
            w.WriteEndObject();
        }
        while (json.Length % 8 != 0) json.WriteByte((byte)' ');

        AtomicFile.Write(path, fs =>
        {
            Span<byte> len = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)json.Length);
            fs.Write(len);
            json.Position = 0;
            json.CopyTo(fs);
            foreach (var (_, t) in list)
            {
                long bytes = t.Length * t.DType.Size();
                for (long done = 0; done < bytes;)
                {
                    int chunk = (int)Math.Min(bytes - done, 1 << 30);
                    fs.Write(new ReadOnlySpan<byte>(t.Pointer + done, chunk));
                    done += chunk;
                }
            }
        });
    }

    private static (MappedFile File, List<Entry> Entries, Dictionary<string, string> Metadata) OpenFile(string path)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new SpeechTokException($"cannot open safetensors file '{path}': {ex.Message}", ex);
        }

        MappedFile? file = null;
        try
        {
            long length = stream.Length;
            if (length < 8) throw Defect(path, $"file is {length} bytes, shorter than the 8-byte header length");
            Span<byte> lenBytes = stackalloc byte[8];
            stream.ReadExactly(lenBytes);
            ulong n = BinaryPrimitives.ReadUInt64LittleEndian(lenBytes);
            if (n > (ulong)(length - 8)) throw Defect(path, $"header length {n} is larger than the {length - 8} bytes after the length field");
            if (n > MaxHeaderBytes) throw Defect(path, $"header length {n} exceeds the limit of {MaxHeaderBytes} bytes");
            if (n < 2) throw Defect(path, $"header length {n} is too short for a JSON object");

            file = new MappedFile(path, stream);
            var header = new ReadOnlySpan<byte>(file.Pointer + 8, (int)n);
            var (entries, metadata) = ParseHeader(path, header, length - 8 - (long)n, file, 8 + (long)n);
            return (file, entries, metadata);
        }
        catch
        {
            if (file != null) file.Release();
            else stream.Dispose();
            throw;
        }
    }

    private static SpeechTokException Defect(string path, string defect) => new($"safetensors file '{path}': {defect}");

    /// <summary>Validates the header JSON against a data section of <paramref name="dataLength"/> bytes.</summary>
    private static (List<Entry>, Dictionary<string, string>) ParseHeader(string path, ReadOnlySpan<byte> header, long dataLength, MappedFile file, long dataStart)
    {
        // JsonDocument accepts invalid UTF-8 inside strings and fails only when one is read: check it all up front.
        if (!System.Text.Unicode.Utf8.IsValid(header)) throw Defect(path, "header is not valid UTF-8");
        JsonDocument doc;
        try
        {
            // Trailing spaces are the padding the format allows; JsonDocument accepts them as whitespace.
            doc = JsonDocument.Parse(header.ToArray());
        }
        catch (JsonException ex)
        {
            throw Defect(path, $"header is not valid JSON ({ex.Message})");
        }

        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw Defect(path, "header JSON is not an object");
            var entries = new List<Entry>();
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var prop in doc.RootElement.EnumerateObject())
            {
                if (!names.Add(prop.Name)) throw Defect(path, $"key '{prop.Name}' appears twice in the header");
                if (prop.Name == "__metadata__")
                {
                    if (prop.Value.ValueKind != JsonValueKind.Object) throw Defect(path, "__metadata__ is not an object");
                    foreach (var m in prop.Value.EnumerateObject())
                    {
                        if (m.Value.ValueKind != JsonValueKind.String) throw Defect(path, $"__metadata__ value of '{m.Name}' is not a string");
                        metadata[m.Name] = m.Value.GetString()!;
                    }
                    continue;
                }
                entries.Add(ParseEntry(path, prop.Name, prop.Value, dataLength, file, dataStart));
            }

            // As the reference reader (Rust safetensors, Metadata::validate, SafeTensorError::InvalidOffset): sorted by
            // data_offsets, each tensor begins where the previous one ends and the first at 0, so the tensors tile the data
            // section with no gap and no shared byte. An empty tensor is no exception: its offset must be such a boundary.
            Entry? prev = null;
            foreach (var e in entries.OrderBy(e => e.Begin).ThenBy(e => e.End))
            {
                long expectedBegin = prev?.End ?? 0;
                if (e.Begin < expectedBegin)
                    throw Defect(path, $"tensors '{prev!.Name}' [{prev.Begin}, {prev.End}) and '{e.Name}' [{e.Begin}, {e.End}) overlap: "
                        + $"each tensor's data must begin where the previous one's ends");
                if (e.Begin > expectedBegin)
                    throw Defect(path, prev == null
                        ? $"tensor '{e.Name}' [{e.Begin}, {e.End}) comes first by offset but begins at {e.Begin}, not 0: bytes [0, {e.Begin}) of the data belong to no tensor"
                        : $"bytes [{prev.End}, {e.Begin}) of the data, between tensors '{prev.Name}' [{prev.Begin}, {prev.End}) and '{e.Name}' [{e.Begin}, {e.End}), belong to no tensor: "
                          + $"each tensor's data must begin where the previous one's ends");
                prev = e;
            }

            // As the reference reader (Rust safetensors, SafeTensorError::MetadataIncompleteBuffer): the file ends where the
            // last tensor's data ends. Bytes after it are a file truncated or appended to, not padding the format allows.
            long dataEnd = entries.Count == 0 ? 0 : entries.Max(e => e.End);
            if (dataEnd != dataLength)
                throw Defect(path, $"{dataLength - dataEnd} {(dataLength - dataEnd == 1 ? "byte follows" : "bytes follow")} the tensor data: the file is {dataStart + dataLength} bytes, but 8 (length field) + "
                    + $"{dataStart - 8} (header) + {dataEnd} (data, to the last tensor's end offset) = {dataStart + dataEnd}");
            return (entries, metadata);
        }
    }

    private static Entry ParseEntry(string path, string name, JsonElement v, long dataLength, MappedFile file, long dataStart)
    {
        if (v.ValueKind != JsonValueKind.Object) throw Defect(path, $"tensor '{name}': header entry is not an object");
        if (!v.TryGetProperty("dtype", out var dt) || dt.ValueKind != JsonValueKind.String) throw Defect(path, $"tensor '{name}': missing or non-string 'dtype'");
        string dtype = dt.GetString()!;
        if (!DTypeSizes.TryGetValue(dtype, out int size)) throw Defect(path, $"tensor '{name}': unknown dtype '{dtype}'");

        if (!v.TryGetProperty("shape", out var sh) || sh.ValueKind != JsonValueKind.Array) throw Defect(path, $"tensor '{name}': missing or non-array 'shape'");
        var shape = new int[sh.GetArrayLength()];
        int i = 0;
        long count = 1; // element count; -1 once it no longer fits (a hostile shape must not wrap to a small size)
        foreach (var d in sh.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt32(out int dim) || dim < 0)
                throw Defect(path, $"tensor '{name}': shape entry {i} ({d.GetRawText()}) is not a non-negative 32-bit integer");
            shape[i++] = dim;
            if (count >= 0) count = dim != 0 && count > long.MaxValue / dim ? -1 : count * dim;
        }

        if (!v.TryGetProperty("data_offsets", out var off) || off.ValueKind != JsonValueKind.Array) throw Defect(path, $"tensor '{name}': missing or non-array 'data_offsets'");
        if (off.GetArrayLength() != 2) throw Defect(path, $"tensor '{name}': 'data_offsets' has {off.GetArrayLength()} entries, expected 2");
        long begin = Offset(path, name, off[0]), end = Offset(path, name, off[1]);
        if (end < begin) throw Defect(path, $"tensor '{name}': data_offsets [{begin}, {end}) end before they begin");
        if (end > dataLength) throw Defect(path, $"tensor '{name}': data_offsets [{begin}, {end}) are out of range of the {dataLength}-byte data section");

        long expected = count < 0 || count > long.MaxValue / size ? -1 : count * size;
        if (expected != end - begin)
            throw Defect(path, $"tensor '{name}': {end - begin} bytes in data_offsets but shape {ShapeMismatchException.Format(shape)} of {dtype} needs {(expected < 0 ? "more than 2^63" : expected.ToString())}");
        return new Entry(name, dtype, shape, begin, end, file, dataStart);
    }

    private static long Offset(string path, string name, JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt64(out long x) || x < 0)
            throw Defect(path, $"tensor '{name}': data offset {e.GetRawText()} is not a non-negative integer");
        return x;
    }

    private static SafeTensors OpenSharded(string folder, string indexPath)
    {
        JsonDocument doc;
        try
        {
            var bytes = File.ReadAllBytes(indexPath);
            if (!System.Text.Unicode.Utf8.IsValid(bytes)) throw new SpeechTokException($"index file '{indexPath}' is not valid UTF-8");
            doc = JsonDocument.Parse(bytes);
        }
        catch (JsonException ex)
        {
            throw new SpeechTokException($"index file '{indexPath}' is not valid JSON ({ex.Message})");
        }

        var files = new List<MappedFile>();
        try
        {
            using (doc)
            {
                var root = doc.RootElement;
                if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
                    throw new SpeechTokException($"index file '{indexPath}' has no 'weight_map' object");

                var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
                if (root.TryGetProperty("metadata", out var meta) && meta.ValueKind == JsonValueKind.Object)
                    foreach (var m in meta.EnumerateObject())
                        metadata[m.Name] = m.Value.ValueKind == JsonValueKind.String ? m.Value.GetString()! : m.Value.GetRawText();

                var shards = new Dictionary<string, Dictionary<string, Entry>>(StringComparer.Ordinal);
                var names = new List<string>();
                var entries = new Dictionary<string, Entry>(StringComparer.Ordinal);
                foreach (var w in map.EnumerateObject())
                {
                    if (w.Value.ValueKind != JsonValueKind.String || string.IsNullOrEmpty(w.Value.GetString()))
                        throw new SpeechTokException($"index file '{indexPath}': weight_map entry '{w.Name}' is not a shard file name");
                    string shard = w.Value.GetString()!;
                    if (!shards.TryGetValue(shard, out var shardEntries))
                    {
                        var shardPath = Path.Combine(folder, shard);
                        if (!File.Exists(shardPath))
                            throw new SpeechTokException($"index file '{indexPath}': shard '{shard}' (for tensor '{w.Name}') does not exist");
                        var (file, list, _) = OpenFile(shardPath);
                        files.Add(file);
                        shardEntries = list.ToDictionary(e => e.Name);
                        shards[shard] = shardEntries;
                    }
                    if (!shardEntries.TryGetValue(w.Name, out var entry))
                        throw new SpeechTokException($"index file '{indexPath}': tensor '{w.Name}' is not in its shard '{shard}'");
                    if (entries.TryAdd(w.Name, entry)) names.Add(w.Name);
                    else throw new SpeechTokException($"index file '{indexPath}': tensor '{w.Name}' is listed twice");
                }
                return new SafeTensors(files, names, entries, metadata);
            }
        }
        catch
        {
            foreach (var f in files) f.Release();
            throw;
        }
    }
}
