using System.Buffers.Binary;
using System.IO.Compression;
using SpeechTok.Tensors;

namespace SpeechTok.Codec.Torch;

/// <summary>
/// Reads the tensors of a PyTorch checkpoint written by <c>torch.save</c> (zip: <c>&lt;name&gt;/data.pkl</c>,
/// <c>&lt;name&gt;/data/&lt;key&gt;</c> storages) without executing anything (see <see cref="SafePickle"/>).
/// Nested dicts are flattened with '.' (a state dict comes out unchanged); non-tensor leaves are dropped.
/// Every tensor is returned as an owned float32 copy.
/// </summary>
internal static class TorchCheckpoint
{
    public static Dictionary<string, Tensor> Load(string path)
    {
        // torch.save before PyTorch 1.6 wrote a bare pickle (protocol 2, then torch's magic number), not a zip archive
        bool legacy;
        try
        {
            using var head = File.OpenRead(path);
            legacy = head.ReadByte() == 0x80 && head.ReadByte() == 0x02;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SpeechTokException($"{path}: cannot read the checkpoint ({e.Message})", e);
        }
        if (legacy)
                throw new SpeechTokException($"{path}: a legacy (PyTorch < 1.6, non-zip) torch.save file, which is not supported: "
                    + "save it again with a current PyTorch (torch.save(torch.load(f), f)) or convert it to safetensors");
        ZipArchive zip;
        try { zip = ZipFile.OpenRead(path); }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            throw new SpeechTokException($"{path}: not a readable torch.save zip archive ({e.Message})", e);
        }
        using (zip)
        {
            try { return Read(zip, path); }
            catch (InvalidDataException e) { throw new SpeechTokException($"{path}: corrupt zip archive ({e.Message})", e); }
            catch (EndOfStreamException e) { throw new SpeechTokException($"{path}: truncated zip member ({e.Message})", e); }
        }
    }

    private static Dictionary<string, Tensor> Read(ZipArchive zip, string path)
    {
        var pkl = zip.Entries.Where(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal) && e.FullName.Count(c => c == '/') == 1).ToList();
        if (pkl.Count != 1)
            throw new SpeechTokException($"{path}: expected exactly one '<name>/data.pkl' in the archive, found {pkl.Count} (legacy non-zip torch files are not supported)");
        string prefix = pkl[0].FullName[..^"data.pkl".Length];
        var storages = new Dictionary<string, float[]>(StringComparer.Ordinal);

        float[] StorageData(StorageRef s)
        {
            if (storages.TryGetValue(s.Key, out var cached)) return cached;
            string name = prefix + "data/" + s.Key;
            var entry = zip.GetEntry(name) ?? throw new SpeechTokException($"{path}: storage '{name}' is missing from the archive");
            int size = ElementSize(s.TypeName, path);
            if (entry.Length != s.Numel * size)
                throw new SpeechTokException($"{path}: storage '{name}' has {entry.Length} bytes, expected {s.Numel} x {size}");
            var data = Convert(ReadAll(entry), s.TypeName, checked((int)s.Numel));
            storages[s.Key] = data;
            return data;
        }

        object? Reduce(PyGlobal fn, object?[] args)
        {
            switch (fn.Module + "." + fn.Name)
            {
                case "collections.OrderedDict" when args.Length == 0:
                    return new Dictionary<object, object?>();
                case "torch._utils._rebuild_tensor_v2" when args.Length is 6 or 7:
                    return Rebuild(path, args[0] as StorageRef ?? throw new SpeechTokException($"{path}: tensor without a storage"),
                        StorageData, args[1], args[2], args[3]);
                case "torch._utils._rebuild_parameter" when args.Length == 3:
                case "torch._utils._rebuild_parameter_with_state" when args.Length == 4:
                    return args[0] as Tensor ?? throw new SpeechTokException($"{path}: parameter without tensor data");
                default:
                    throw new SpeechTokException($"{path}: pickle calls '{fn}' with {args.Length} arguments, which this reader does not support");
            }
        }

        var root = new SafePickle(ReadAll(pkl[0]), $"{path} ({pkl[0].FullName})", Reduce).Run();
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        Flatten(root, "", result);
        return result;
    }

    private static void Flatten(object? node, string prefix, Dictionary<string, Tensor> into)
    {
        switch (node)
        {
            case Tensor t:
                into[prefix] = t;
                break;
            case Dictionary<object, object?> d:
                foreach (var (k, v) in d)
                    Flatten(v, prefix.Length == 0 ? k.ToString()! : prefix + "." + k, into);
                break;
        }
    }

    private static Tensor Rebuild(string path, StorageRef s, Func<StorageRef, float[]> data, object? offsetObj, object? sizeObj, object? strideObj)
    {
        if (offsetObj is not long offset || sizeObj is not object?[] sizeT || strideObj is not object?[] strideT || sizeT.Length != strideT.Length)
            throw new SpeechTokException($"{path}: malformed tensor record for storage '{s.Key}'");
        var shape = new int[sizeT.Length];
        var stride = new long[sizeT.Length];
        long reach = offset, count = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            if (sizeT[i] is not long d || d < 0 || d > int.MaxValue || strideT[i] is not long st || st < 0)
                throw new SpeechTokException($"{path}: malformed size/stride of a tensor in storage '{s.Key}'");
            shape[i] = (int)d;
            stride[i] = st;
            count *= d;
            reach += (d - 1) * st;
        }
        if (count == 0) return Tensor.Zeros(shape);
        if (offset < 0 || reach >= s.Numel)
            throw new SpeechTokException($"{path}: tensor of shape {ShapeMismatchException.Format(shape)} reaches element {reach} of storage '{s.Key}' with {s.Numel} elements");
        var src = data(s);
        var t = Tensor.Zeros(shape);
        var dst = t.Span;
        // Walk the index odometer; the innermost dimension is a strided copy.
        int rank = shape.Length;
        if (rank == 0) { dst[0] = src[offset]; return t; }
        int inner = shape[rank - 1];
        long innerStride = stride[rank - 1];
        var idx = new int[rank];
        for (int o = 0; o < dst.Length; o += inner)
        {
            long at = offset;
            for (int i = 0; i < rank - 1; i++) at += idx[i] * stride[i];
            if (innerStride == 1) src.AsSpan((int)at, inner).CopyTo(dst.Slice(o, inner));
            else for (int j = 0; j < inner; j++) dst[o + j] = src[at + j * innerStride];
            for (int i = rank - 2; i >= 0; i--)
            {
                if (++idx[i] < shape[i]) break;
                idx[i] = 0;
            }
        }
        return t;
    }

    private static int ElementSize(string type, string path) => type switch
    {
        "FloatStorage" or "IntStorage" => 4,
        "DoubleStorage" or "LongStorage" => 8,
        "HalfStorage" or "BFloat16Storage" or "ShortStorage" => 2,
        "CharStorage" or "ByteStorage" or "BoolStorage" => 1,
        _ => throw new SpeechTokException($"{path}: unsupported storage type torch.{type}"),
    };

    private static float[] Convert(byte[] b, string type, int n)
    {
        var f = new float[n];
        switch (type)
        {
            case "FloatStorage":
                System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(b).CopyTo(f); // torch writes little-endian, as is this host
                break;
            case "DoubleStorage":
                for (int i = 0; i < n; i++) f[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(b.AsSpan(8 * i));
                break;
            case "HalfStorage":
                for (int i = 0; i < n; i++) f[i] = Half16.F16ToF32(BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(2 * i)));
                break;
            case "BFloat16Storage":
                for (int i = 0; i < n; i++) f[i] = Half16.Bf16ToF32(BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(2 * i)));
                break;
            case "LongStorage":
                for (int i = 0; i < n; i++) f[i] = BinaryPrimitives.ReadInt64LittleEndian(b.AsSpan(8 * i));
                break;
            case "IntStorage":
                for (int i = 0; i < n; i++) f[i] = BinaryPrimitives.ReadInt32LittleEndian(b.AsSpan(4 * i));
                break;
            case "ShortStorage":
                for (int i = 0; i < n; i++) f[i] = BinaryPrimitives.ReadInt16LittleEndian(b.AsSpan(2 * i));
                break;
            case "CharStorage":
                for (int i = 0; i < n; i++) f[i] = (sbyte)b[i];
                break;
            default: // ByteStorage, BoolStorage
                for (int i = 0; i < n; i++) f[i] = b[i];
                break;
        }
        return f;
    }

    private static byte[] ReadAll(ZipArchiveEntry entry)
    {
        using var s = entry.Open();
        var buf = new byte[entry.Length];
        s.ReadExactly(buf);
        return buf;
    }
}
