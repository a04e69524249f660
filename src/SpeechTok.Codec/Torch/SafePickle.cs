using System.Buffers.Binary;
using System.Text;

namespace SpeechTok.Codec.Torch;

/// <summary>
/// A pickle virtual machine for the subset <c>torch.save</c> writes. It builds plain data (dicts, lists,
/// tuples, numbers, strings) and never imports or calls anything: GLOBAL is checked against an allow-list and
/// REDUCE dispatches only on the allowed names, through the <c>reduce</c> callback the caller supplies.
/// </summary>
internal sealed class SafePickle
{
    private static readonly HashSet<string> Allowed = new(StringComparer.Ordinal)
    {
        "collections.OrderedDict",
        "torch._utils._rebuild_tensor_v2",
        "torch._utils._rebuild_parameter",
        "torch._utils._rebuild_parameter_with_state",
        "torch.FloatStorage", "torch.DoubleStorage", "torch.HalfStorage", "torch.BFloat16Storage",
        "torch.LongStorage", "torch.IntStorage", "torch.ShortStorage", "torch.CharStorage",
        "torch.ByteStorage", "torch.BoolStorage",
    };

    private readonly byte[] _data;
    private readonly string _where;
    private readonly Func<PyGlobal, object?[], object?> _reduce;
    private readonly List<object?> _stack = new();
    private readonly Stack<int> _marks = new();
    private readonly Dictionary<long, object?> _memo = new();
    private int _pos;

    /// <param name="where">Names the file (and member) in every error.</param>
    /// <param name="reduce">Applies an allowed callable to its argument tuple.</param>
    public SafePickle(byte[] data, string where, Func<PyGlobal, object?[], object?> reduce)
    {
        _data = data;
        _where = where;
        _reduce = reduce;
    }

    public static bool IsAllowed(string module, string name) => Allowed.Contains(module + "." + name);

    public object? Run()
    {
        while (true)
        {
            int at = _pos;
            byte op = U8();
            switch (op)
            {
                case 0x80: U8(); break; // PROTO
                case 0x95: Bytes(8); break; // FRAME (framing is only a read-ahead hint)
                case (byte)'.': // STOP
                    if (_stack.Count != 1) throw Bad($"STOP with {_stack.Count} values on the stack", at);
                    return _stack[0];
                case (byte)'(': _marks.Push(_stack.Count); break; // MARK
                case (byte)'}': Push(new Dictionary<object, object?>()); break; // EMPTY_DICT
                case (byte)']': Push(new List<object?>()); break; // EMPTY_LIST
                case (byte)')': Push(Array.Empty<object?>()); break; // EMPTY_TUPLE
                case (byte)'t': Push(PopToMark(at).ToArray()); break; // TUPLE
                case (byte)'l': Push(PopToMark(at)); break; // LIST
                case (byte)'d': // DICT
                {
                    var items = PopToMark(at);
                    var d = new Dictionary<object, object?>();
                    SetItems(d, items, at);
                    Push(d);
                    break;
                }
                case 0x85: Push(new[] { Pop(at) }); break; // TUPLE1
                case 0x86: { var b = Pop(at); var a = Pop(at); Push(new[] { a, b }); break; } // TUPLE2
                case 0x87: { var c = Pop(at); var b = Pop(at); var a = Pop(at); Push(new[] { a, b, c }); break; } // TUPLE3
                case (byte)'q': _memo[U8()] = Top(at); break; // BINPUT
                case (byte)'r': _memo[U32()] = Top(at); break; // LONG_BINPUT
                case 0x94: _memo[_memo.Count] = Top(at); break; // MEMOIZE
                case (byte)'h': Push(Memo(U8(), at)); break; // BINGET
                case (byte)'j': Push(Memo(U32(), at)); break; // LONG_BINGET
                case (byte)'0': Pop(at); break; // POP
                case (byte)'2': Push(Top(at)); break; // DUP
                case (byte)'X': Push(Str(Length(U32(), at))); break; // BINUNICODE
                case 0x8c: Push(Str(U8())); break; // SHORT_BINUNICODE
                case 0x8d: Push(Str(Length(U64(), at))); break; // BINUNICODE8
                case (byte)'c': // GLOBAL "module\nname\n"
                {
                    string module = Line(at), name = Line(at);
                    Push(Global(module, name, at));
                    break;
                }
                case 0x93: // STACK_GLOBAL
                {
                    var name = Pop(at) as string ?? throw Bad("STACK_GLOBAL name is not a string", at);
                    var module = Pop(at) as string ?? throw Bad("STACK_GLOBAL module is not a string", at);
                    Push(Global(module, name, at));
                    break;
                }
                case (byte)'J': Push((long)BinaryPrimitives.ReadInt32LittleEndian(Bytes(4))); break; // BININT
                case (byte)'K': Push((long)U8()); break; // BININT1
                case (byte)'M': Push((long)BinaryPrimitives.ReadUInt16LittleEndian(Bytes(2))); break; // BININT2
                case 0x8a: Push(Long(U8(), at)); break; // LONG1
                case 0x8b: Push(Long(Length(U32(), at), at)); break; // LONG4
                case (byte)'G': Push(BinaryPrimitives.ReadDoubleBigEndian(Bytes(8))); break; // BINFLOAT
                case 0x88: Push(true); break; // NEWTRUE
                case 0x89: Push(false); break; // NEWFALSE
                case (byte)'N': Push(null); break; // NONE
                case (byte)'R': // REDUCE
                {
                    var args = Pop(at) as object?[] ?? throw Bad("REDUCE arguments are not a tuple", at);
                    var fn = Pop(at) as PyGlobal ?? throw Bad("REDUCE target is not an allowed global", at);
                    Push(_reduce(fn, args));
                    break;
                }
                case (byte)'b': // BUILD: only the attribute dict torch attaches to state dicts (_metadata) is seen here
                {
                    Pop(at);
                    var target = Top(at);
                    if (target is not Dictionary<object, object?> && target is not Tensors.Tensor)
                        throw Bad($"BUILD on unsupported object {Describe(target)}", at);
                    break;
                }
                case (byte)'s': // SETITEM
                {
                    var v = Pop(at); var k = Pop(at);
                    SetItems(Top(at) as Dictionary<object, object?> ?? throw Bad("SETITEM target is not a dict", at), new List<object?> { k, v }, at);
                    break;
                }
                case (byte)'u': // SETITEMS
                {
                    var items = PopToMark(at);
                    SetItems(Top(at) as Dictionary<object, object?> ?? throw Bad("SETITEMS target is not a dict", at), items, at);
                    break;
                }
                case (byte)'a': // APPEND
                {
                    var v = Pop(at);
                    (Top(at) as List<object?> ?? throw Bad("APPEND target is not a list", at)).Add(v);
                    break;
                }
                case (byte)'e': // APPENDS
                {
                    var items = PopToMark(at);
                    (Top(at) as List<object?> ?? throw Bad("APPENDS target is not a list", at)).AddRange(items);
                    break;
                }
                case (byte)'Q': // BINPERSID
                {
                    var pid = Pop(at) as object?[] ?? throw Bad("persistent id is not a tuple", at);
                    Push(Storage(pid, at));
                    break;
                }
                default:
                    throw Bad($"unsupported pickle opcode 0x{op:x2}", at);
            }
        }
    }

    private object Global(string module, string name, int at)
    {
        if (!IsAllowed(module, name))
            throw new SpeechTokException($"{_where}: refusing pickle global '{module}.{name}' (byte {at}); only torch tensor/storage rebuild functions and collections.OrderedDict are allowed");
        return new PyGlobal(module, name);
    }

    private StorageRef Storage(object?[] pid, int at)
    {
        if (pid.Length != 5 || pid[0] is not "storage" || pid[1] is not PyGlobal type || !type.Name.EndsWith("Storage", StringComparison.Ordinal)
            || pid[2] is not string key || pid[4] is not long numel || numel < 0)
            throw Bad("persistent id is not ('storage', torch.<Type>Storage, key, location, numel)", at);
        return new StorageRef(type.Name, key, numel);
    }

    private void SetItems(Dictionary<object, object?> d, List<object?> items, int at)
    {
        if (items.Count % 2 != 0) throw Bad("odd number of dict items", at);
        for (int i = 0; i < items.Count; i += 2)
        {
            var key = items[i] is string or long or bool ? items[i]! : throw Bad($"unsupported dict key {Describe(items[i])}", at);
            d[key] = items[i + 1];
        }
    }

    private static string Describe(object? o) => o switch
    {
        null => "None",
        string s => $"'{s}'",
        _ => o.GetType().Name,
    };

    private object? Memo(long idx, int at) =>
        _memo.TryGetValue(idx, out var v) ? v : throw Bad($"memo slot {idx} read before it was written", at);

    private void Push(object? o) => _stack.Add(o);

    private object? Top(int at)
    {
        if (_stack.Count == 0 || (_marks.Count > 0 && _marks.Peek() == _stack.Count)) throw Bad("stack underflow", at);
        return _stack[^1];
    }

    private object? Pop(int at)
    {
        var v = Top(at);
        _stack.RemoveAt(_stack.Count - 1);
        return v;
    }

    private List<object?> PopToMark(int at)
    {
        if (_marks.Count == 0) throw Bad("no MARK on the stack", at);
        int m = _marks.Pop();
        var items = _stack.GetRange(m, _stack.Count - m);
        _stack.RemoveRange(m, _stack.Count - m);
        return items;
    }

    private ReadOnlySpan<byte> Bytes(int n)
    {
        if (n < 0 || n > _data.Length - _pos) throw Bad("unexpected end of pickle data", _pos);
        var s = _data.AsSpan(_pos, n);
        _pos += n;
        return s;
    }

    private byte U8() => Bytes(1)[0];
    private uint U32() => BinaryPrimitives.ReadUInt32LittleEndian(Bytes(4));

    private ulong U64() => BinaryPrimitives.ReadUInt64LittleEndian(Bytes(8));

    /// <summary>A length operand; one beyond the data cannot be right (and must not overflow an int).</summary>
    private int Length(ulong n, int at) => n <= (ulong)(_data.Length - _pos) ? (int)n : throw Bad($"length {n} runs past the end of the pickle data", at);

    private string Str(int n)
    {
        var b = Bytes(n);
        try { return new UTF8Encoding(false, true).GetString(b); }
        catch (DecoderFallbackException) { throw Bad("string is not valid UTF-8", _pos - n); }
    }

    private string Line(int at)
    {
        int end = Array.IndexOf(_data, (byte)'\n', _pos);
        if (end < 0) throw Bad("unterminated GLOBAL name", at);
        var s = Encoding.ASCII.GetString(_data, _pos, end - _pos);
        _pos = end + 1;
        return s;
    }

    private long Long(int n, int at)
    {
        if (n > 8) throw Bad($"integer of {n} bytes does not fit 64 bits", at);
        var b = Bytes(n);
        long v = 0;
        for (int i = n - 1; i >= 0; i--) v = (v << 8) | b[i];
        if (n > 0 && n < 8 && (b[n - 1] & 0x80) != 0) v -= 1L << (8 * n); // two's complement sign
        return v;
    }

    private SpeechTokException Bad(string what, int at) => new($"{_where}: corrupt or unsupported pickle: {what} (byte {at})");
}
