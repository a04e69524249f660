using System.Text;
using System.Text.Json;

namespace SpeechTok.Lm.Tokenization;

/// <summary>
/// Reads the sections of a <c>tokenizer.json</c> into the pieces <see cref="HfTokenizer"/> runs. Every refusal is a
/// <see cref="SpeechTokException"/> naming the file and the JSON path of the field (e.g.
/// <c>tokenizer.json: normalizer.normalizers[1]: normalizer 'Lowercase' is not supported</c>).
/// </summary>
internal sealed class TokenizerJson(string source)
{
    // ---------------------------------------------------------------- model

    public BpeModel ReadModel(JsonElement m)
    {
        string where = source + ": model";
        if (m.ValueKind != JsonValueKind.Object) throw new SpeechTokException($"{where} must be an object");
        string type = m.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "BPE";
        if (type != "BPE") throw new SpeechTokException($"{where}.type '{type}' is not supported (only BPE)");
        if (m.TryGetProperty("dropout", out var d) && d.ValueKind == JsonValueKind.Number && d.GetDouble() != 0)
            throw new SpeechTokException($"{where}.dropout {d.GetDouble()} is not supported (training-time randomness)");
        foreach (var name in new[] { "continuing_subword_prefix", "end_of_word_suffix" })
            if (m.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && v.GetString()!.Length > 0)
                throw new SpeechTokException($"{where}.{name} '{v.GetString()}' is not supported");

        var vocabEl = Required(m, "vocab", where);
        if (vocabEl.ValueKind != JsonValueKind.Object) throw new SpeechTokException($"{where}.vocab must be an object");
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var p in vocabEl.EnumerateObject())
        {
            if (p.Value.ValueKind != JsonValueKind.Number || !p.Value.TryGetInt32(out int id))
                throw new SpeechTokException($"{where}.vocab['{p.Name}'] is not an integer id");
            vocab[p.Name] = id;
        }

        var merges = new List<(string, string)>();
        if (m.TryGetProperty("merges", out var mergesEl) && mergesEl.ValueKind == JsonValueKind.Array)
        {
            int r = 0;
            foreach (var e in mergesEl.EnumerateArray())
            {
                if (e.ValueKind == JsonValueKind.String)
                {
                    var parts = e.GetString()!.Split(' ');
                    if (parts.Length != 2) throw new SpeechTokException($"{where}.merges[{r}] '{e.GetString()}' is not two tokens separated by one space");
                    merges.Add((parts[0], parts[1]));
                }
                else if (e.ValueKind == JsonValueKind.Array && e.GetArrayLength() == 2 && e[0].ValueKind == JsonValueKind.String && e[1].ValueKind == JsonValueKind.String)
                    merges.Add((e[0].GetString()!, e[1].GetString()!));
                else throw new SpeechTokException($"{where}.merges[{r}] must be \"a b\" or [\"a\", \"b\"]");
                r++;
            }
        }

        string? unk = m.TryGetProperty("unk_token", out var u) && u.ValueKind == JsonValueKind.String ? u.GetString() : null;
        return new BpeModel(vocab, merges, ReadBool(m, "ignore_merges", where, false), unk,
            ReadBool(m, "fuse_unk", where, false), ReadBool(m, "byte_fallback", where, false), source);
    }

    // ---------------------------------------------------------------- normalizer

    /// <summary>The normalizer as one string function (null: none). Supported: <c>Sequence</c>, <c>NFC</c>,
    /// <c>NFD</c>, <c>NFKC</c>, <c>NFKD</c>, <c>Prepend</c>, <c>Replace</c> (String pattern), <c>Strip</c>.</summary>
    public Func<string, string>? ReadNormalizer(JsonElement n, string where)
    {
        if (n.ValueKind == JsonValueKind.Null) return null;
        string type = TypeOf(n);
        switch (type)
        {
            case "Sequence":
            {
                var steps = new List<Func<string, string>>();
                int k = 0;
                foreach (var s in RequiredArray(n, "normalizers", Where(where)))
                    if (ReadNormalizer(s, $"{where}.normalizers[{k++}]") is { } f) steps.Add(f);
                return text =>
                {
                    foreach (var f in steps) text = f(text);
                    return text;
                };
            }
            case "NFC" or "NFD" or "NFKC" or "NFKD":
            {
                IcuNormalizer.EnsureAvailable($"{source}: {where} ({type})");
                var form = type switch
                {
                    "NFC" => NormalizationForm.FormC,
                    "NFD" => NormalizationForm.FormD,
                    "NFKC" => NormalizationForm.FormKC,
                    _ => NormalizationForm.FormKD,
                };
                return text => IcuNormalizer.Normalize(text, form);
            }
            case "Prepend":
            {
                string prepend = ReadString(n, "prepend", Where(where));
                return text => text.Length == 0 ? text : prepend + text;
            }
            case "Replace":
            {
                var (pattern, content) = ReadReplace(n, where);
                return text => text.Replace(pattern, content, StringComparison.Ordinal);
            }
            case "Strip":
            {
                bool left = ReadBool(n, "strip_left", Where(where), false), right = ReadBool(n, "strip_right", Where(where), false);
                return text => left && right ? text.Trim() : left ? text.TrimStart() : right ? text.TrimEnd() : text;
            }
            default:
                throw new SpeechTokException($"{source}: {where}: normalizer '{type}' is not supported (supported: Sequence, NFC, NFD, NFKC, NFKD, Prepend, Replace, Strip)");
        }
    }

    private (string Pattern, string Content) ReadReplace(JsonElement e, string where)
    {
        var pat = RequiredObject(e, "pattern", Where(where));
        if (!pat.TryGetProperty("String", out var str) || str.ValueKind != JsonValueKind.String)
            throw new SpeechTokException($"{source}: {where}.pattern: only String patterns are supported in Replace");
        string pattern = str.GetString()!;
        if (pattern.Length == 0) throw new SpeechTokException($"{source}: {where}.pattern: an empty String pattern is not supported");
        return (pattern, ReadString(e, "content", Where(where)));
    }

    // ---------------------------------------------------------------- pre-tokenizer

    /// <summary>Appends the steps of a pre-tokenizer. <paramref name="byteLevel"/>: a ByteLevel step was read (it
    /// must be the last step: pieces are byte-mapped when they reach the model).</summary>
    public void ReadPreTokenizer(JsonElement p, string where, List<PreTokenizerStep> steps, ref bool byteLevel)
    {
        string type = TypeOf(p);
        if (byteLevel) throw new SpeechTokException($"{source}: {where}: a '{type}' step after ByteLevel is not supported (ByteLevel must be the last pre-tokenizer)");
        switch (type)
        {
            case "Sequence":
            {
                int k = 0;
                foreach (var s in RequiredArray(p, "pretokenizers", Where(where))) ReadPreTokenizer(s, $"{where}.pretokenizers[{k++}]", steps, ref byteLevel);
                break;
            }
            case "Split":
            {
                var pat = RequiredObject(p, "pattern", Where(where));
                SplitPattern pattern;
                if (pat.TryGetProperty("Regex", out var re) && re.ValueKind == JsonValueKind.String)
                    pattern = PatternScanner.ForPattern(re.GetString()!) ?? (SplitPattern)new RegexPattern(re.GetString()!);
                else if (pat.TryGetProperty("String", out var str) && str.ValueKind == JsonValueKind.String)
                    pattern = new LiteralPattern(str.GetString()!);
                else throw new SpeechTokException($"{source}: {where}.pattern must be {{\"Regex\": ...}} or {{\"String\": ...}}");
                string behavior = ReadString(p, "behavior", Where(where));
                if (!Enum.TryParse<SplitStep.Behavior>(behavior, out var b) || !Enum.IsDefined(b))
                    throw new SpeechTokException($"{source}: {where}.behavior '{behavior}' is not one of Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous");
                steps.Add(new SplitStep(pattern, b, ReadBool(p, "invert", Where(where), false)));
                break;
            }
            case "ByteLevel":
                steps.Add(new ByteLevelStep(ReadBool(p, "add_prefix_space", Where(where), true), ReadBool(p, "use_regex", Where(where), true)));
                byteLevel = true;
                break;
            case "Digits":
                steps.Add(new SplitStep(new CharPattern(c => CharClasses.Of(c) == CharClass.Number),
                    ReadBool(p, "individual_digits", Where(where), false) ? SplitStep.Behavior.Isolated : SplitStep.Behavior.Contiguous));
                break;
            case "Metaspace":
                steps.Add(new MetaspaceStep(ReadReplacement(p, where), ReadScheme(p, where), ReadBool(p, "split", Where(where), true)));
                break;
            default:
                throw new SpeechTokException($"{source}: {where}: pre-tokenizer '{type}' is not supported (supported: Sequence, Split, ByteLevel, Digits, Metaspace)");
        }
    }

    private string ReadReplacement(JsonElement e, string where)
    {
        string r = ReadString(e, "replacement", Where(where));
        if (r.Length == 0 || r.Length != (char.IsHighSurrogate(r[0]) ? 2 : 1))
            throw new SpeechTokException($"{source}: {where}.replacement must be one character (got '{r}')");
        return r;
    }

    // prepend_scheme, or the older add_prefix_space (true = always, false = never), as HF's deserializer reads it.
    private MetaspaceStep.Scheme ReadScheme(JsonElement e, string where)
    {
        if (e.TryGetProperty("prepend_scheme", out var s) && s.ValueKind == JsonValueKind.String)
        {
            return s.GetString() switch
            {
                "always" => MetaspaceStep.Scheme.Always,
                "first" => MetaspaceStep.Scheme.First,
                "never" => MetaspaceStep.Scheme.Never,
                var other => throw new SpeechTokException($"{source}: {where}.prepend_scheme '{other}' is not one of always, first, never"),
            };
        }
        return ReadBool(e, "add_prefix_space", Where(where), true) ? MetaspaceStep.Scheme.Always : MetaspaceStep.Scheme.Never;
    }

    // ---------------------------------------------------------------- decoder

    /// <summary>The decoder as a list of steps (null: none, tokens are joined with spaces). Supported:
    /// <c>Sequence</c>, <c>ByteLevel</c>, <c>Replace</c> (String pattern), <c>ByteFallback</c>, <c>Fuse</c>,
    /// <c>Strip</c>, <c>Metaspace</c>.</summary>
    public void ReadDecoder(JsonElement d, string where, List<Func<List<string>, List<string>>> steps)
    {
        string type = TypeOf(d);
        switch (type)
        {
            case "Sequence":
            {
                int k = 0;
                foreach (var s in RequiredArray(d, "decoders", Where(where))) ReadDecoder(s, $"{where}.decoders[{k++}]", steps);
                break;
            }
            case "ByteLevel":
                steps.Add(TokenDecoders.ByteLevelDecode);
                break;
            case "Replace":
            {
                var (pattern, content) = ReadReplace(d, where);
                steps.Add(TokenDecoders.Replace(pattern, content));
                break;
            }
            case "ByteFallback":
                steps.Add(TokenDecoders.ByteFallback);
                break;
            case "Fuse":
                steps.Add(TokenDecoders.Fuse);
                break;
            case "Strip":
            {
                string content = ReadString(d, "content", Where(where));
                if (content.Length != 1) throw new SpeechTokException($"{source}: {where}.content must be one character (got '{content}')");
                steps.Add(TokenDecoders.Strip(content[0], ReadInt(d, "start", Where(where)), ReadInt(d, "stop", Where(where))));
                break;
            }
            case "Metaspace":
                steps.Add(TokenDecoders.Metaspace(ReadReplacement(d, where), ReadScheme(d, where) != MetaspaceStep.Scheme.Never));
                break;
            default:
                throw new SpeechTokException($"{source}: {where}: decoder '{type}' is not supported (supported: Sequence, ByteLevel, Replace, ByteFallback, Fuse, Strip, Metaspace)");
        }
    }

    // ---------------------------------------------------------------- post-processor

    /// <summary>The <c>single</c> template of a TemplateProcessing post-processor (null: none adds tokens).</summary>
    public (int[] Ids, bool IsSequence)[]? ReadPostProcessor(JsonElement p, string where)
    {
        string type = TypeOf(p);
        switch (type)
        {
            case "ByteLevel":
                return null; // only adjusts offsets
            case "Sequence":
            {
                (int[], bool)[]? template = null;
                int k = 0;
                foreach (var s in RequiredArray(p, "processors", Where(where)))
                {
                    var t = ReadPostProcessor(s, $"{where}.processors[{k++}]");
                    if (t != null && template != null) throw new SpeechTokException($"{source}: {where}: more than one TemplateProcessing is not supported");
                    template ??= t;
                }
                return template;
            }
            case "TemplateProcessing":
            {
                var specials = new Dictionary<string, int[]>(StringComparer.Ordinal);
                if (p.TryGetProperty("special_tokens", out var st) && st.ValueKind == JsonValueKind.Object)
                    foreach (var e in st.EnumerateObject())
                    {
                        string sw = $"{source}: {where}.special_tokens.{e.Name}";
                        specials[e.Name] = RequiredArray(e.Value, "ids", sw)
                            .Select(x => x.ValueKind == JsonValueKind.Number && x.TryGetInt32(out int id) && id >= 0 ? id : throw new SpeechTokException($"{sw}.ids must hold non-negative integers"))
                            .ToArray();
                    }
                var items = new List<(int[], bool)>();
                int k = 0;
                foreach (var item in RequiredArray(p, "single", Where(where)))
                {
                    string iw = $"{source}: {where}.single[{k++}]";
                    if (item.ValueKind != JsonValueKind.Object) throw new SpeechTokException($"{iw}: expected Sequence or SpecialToken");
                    if (item.TryGetProperty("Sequence", out var seq))
                    {
                        if (ReadString(seq, "id", iw) != "A") throw new SpeechTokException($"{iw}: only sequence A is supported");
                        items.Add(([], true));
                    }
                    else if (item.TryGetProperty("SpecialToken", out var sp))
                    {
                        string name = ReadString(sp, "id", iw);
                        items.Add((specials.TryGetValue(name, out var ids) ? ids : throw new SpeechTokException($"{iw}: special token '{name}' is not in special_tokens"), false));
                    }
                    else throw new SpeechTokException($"{iw}: expected Sequence or SpecialToken");
                }
                return items.ToArray();
            }
            default:
                throw new SpeechTokException($"{source}: {where}: post-processor '{type}' is not supported (supported: ByteLevel, TemplateProcessing, Sequence)");
        }
    }

    // ---------------------------------------------------------------- helpers

    private string Where(string where) => $"{source}: {where}";

    public static string TypeOf(JsonElement e) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "(no type)";

    public static JsonElement Required(JsonElement e, string name, string where) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) ? v : throw new SpeechTokException($"{where}: missing field '{name}'");

    public static JsonElement RequiredObject(JsonElement e, string name, string where)
    {
        var v = Required(e, name, where);
        return v.ValueKind == JsonValueKind.Object ? v : throw new SpeechTokException($"{where}.{name} must be an object");
    }

    /// <summary>The elements of a required array field.</summary>
    public static JsonElement.ArrayEnumerator RequiredArray(JsonElement e, string name, string where)
    {
        var v = Required(e, name, where);
        return v.ValueKind == JsonValueKind.Array ? v.EnumerateArray() : throw new SpeechTokException($"{where}.{name} must be an array");
    }

    public static string ReadString(JsonElement e, string name, string where)
    {
        var v = Required(e, name, where);
        return v.ValueKind == JsonValueKind.String ? v.GetString()! : throw new SpeechTokException($"{where}.{name} must be a string");
    }

    public static int ReadInt(JsonElement e, string name, string where)
    {
        var v = Required(e, name, where);
        return v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int i) && i >= 0 ? i : throw new SpeechTokException($"{where}.{name} must be a non-negative integer");
    }

    public static bool ReadBool(JsonElement e, string name, string where, bool fallback)
    {
        if (e.ValueKind != JsonValueKind.Object) throw new SpeechTokException($"{where} must be an object");
        if (!e.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return fallback;
        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new SpeechTokException($"{where}.{name} must be true or false"),
        };
    }
}
