using SpeechTok.Codec;
using System.Text;
using SpeechTok.Lm.Tokenization;
using SpeechTok.Tensors;

namespace SpeechTok.Lm.Serialization;

/// <summary>Turns a sample (text + RVQ codes) into LM input ids (METHOD §2.7, §3.3, §8).</summary>
public sealed class SampleSerializer
{
    private readonly HfTokenizer _tokenizer;
    private readonly AudioVocabulary? _vocab;
    private readonly int? _bosId;
    private readonly HashSet<int> _audioTokenIds;

    /// <summary>The defaults of <c>--serialization</c> and <c>--max-length</c>.</summary>
    public const SerializationMode DefaultMode = SerializationMode.Compact;
    public const int DefaultMaxLength = 256;
    /// <summary>The CLI option that sets <see cref="MaxLength"/>, as messages name it.</summary>
    public const string MaxLengthOption = "--max-length";

    /// <summary>Refuses a max length below 1, naming it as the user set it (<paramref name="option"/>: <see cref="MaxLengthOption"/>, a preset's field).</summary>
    public static void CheckMaxLength(int maxLength, string option)
    {
        if (maxLength < 1) throw new SpeechTokException($"{option} {maxLength}: must be at least 1");
    }

    public SerializationMode Mode { get; }
    public int MaxLength { get; }
    /// <summary>Whether <see cref="Serialize"/> reads RVQ codes (compact and reference layouts).</summary>
    public bool NeedsCodes => Mode is SerializationMode.Compact or SerializationMode.Reference;

    public SampleSerializer(HfTokenizer tokenizer, AudioVocabulary? vocab, SerializationMode mode = DefaultMode, int maxLength = DefaultMaxLength)
    {
        CheckMaxLength(maxLength, "max length");
        if (vocab == null && mode != SerializationMode.TextOnly) throw new SpeechTokException($"serialisation '{mode}' needs the audio vocabulary");
        if (vocab != null && (vocab.VectorSlotId != null) != (mode == SerializationMode.AudioVector))
            throw new SpeechTokException($"serialisation '{mode}' {(mode == SerializationMode.AudioVector ? "needs" : "cannot use")} the audio-vector vocabulary");
        _tokenizer = tokenizer;
        _vocab = vocab;
        Mode = mode;
        MaxLength = maxLength;
        _audioTokenIds = vocab == null ? [] : [.. vocab.AudioTokenIds];
        _bosId = tokenizer.BosId; // none for Qwen2.5: samples start as its tokenizer's encode does, with the text
    }

    /// <summary>Parses a <c>--serialization</c> value: compact, reference or text-only.</summary>
    public static SerializationMode ParseMode(string value) => value.ToLowerInvariant() switch
    {
        "compact" => SerializationMode.Compact,
        "reference" => SerializationMode.Reference,
        "text-only" or "textonly" => SerializationMode.TextOnly,
        "audio-vector" or "audiovector" => SerializationMode.AudioVector,
        _ => throw new SpeechTokException($"unknown serialisation '{value}' (expected compact, reference, text-only or audio-vector)"),
    };

    /// <summary>The name a mode is recorded under in run files ("compact", "reference", "textonly", "audiovector"); <see cref="ParseMode"/> reads it back.</summary>
    public static string ModeName(SerializationMode mode) => mode.ToString().ToLowerInvariant();

    /// <summary>Ids of one sample; <paramref name="codes"/> (<c>codes[rvqLayer][frame]</c>) is ignored unless <see cref="NeedsCodes"/>.</summary>
    public SerializedSample Serialize(string text, int[][]? codes)
    {
        ArgumentNullException.ThrowIfNull(text);
        int[] full;
        switch (Mode)
        {
            case SerializationMode.TextOnly:
                full = _tokenizer.EncodeWithBos(text);
                break;
            case SerializationMode.Reference:
                full = _tokenizer.EncodeWithBos(ReferenceLine(text, Ranks(codes)));
                break;
            default:
            {
                var v = _vocab!;
                var ids = new List<int>();
                if (_bosId is int bos) ids.Add(bos);
                ids.Add(v.TextId);
                _tokenizer.EncodeTo(text, ids);
                ids.Add(v.TextEndId);
                ids.Add(v.AudioId);
                if (v.VectorSlotId is int slot) ids.Add(slot);
                else foreach (int r in Ranks(codes)) ids.Add(v.AudioTokenIds[r]);
                ids.Add(v.AudioEndId);
                full = ids.ToArray();
                break;
            }
        }
        var audio = _vocab is { AudioTokenIds.Count: > 0 } && NeedsCodes ? AudioTokenSpan.Find(full, MaxLength, _audioTokenIds.Contains)
            : _vocab?.VectorSlotId is int vectorSlot ? AudioTokenSpan.Find(full, MaxLength, id => id == vectorSlot) : default;
        return new SerializedSample(full.Length <= MaxLength ? full : full[..MaxLength], full.Length, audio);
    }

    /// <summary>Serialises a corpus on <see cref="Threading.Threads"/> threads, in input order. A bad sample
    /// fails the call with its index in the message. <c>Count(s =&gt; s.Truncated)</c> gives the truncations.</summary>
    public SerializedSample[] SerializeAll(IReadOnlyList<string> texts, IReadOnlyList<int[][]?>? codes)
    {
        if (codes != null && codes.Count != texts.Count)
            throw new SpeechTokException($"{texts.Count} texts but {codes.Count} code arrays");
        var result = new SerializedSample[texts.Count];
        SpeechTokException? error = null;
        Threading.ForRange(texts.Count, 64, (start, end) =>
        {
            for (int i = start; i < end && Volatile.Read(ref error) == null; i++)
            {
                try { result[i] = Serialize(texts[i], codes?[i]); }
                catch (SpeechTokException e) { Interlocked.CompareExchange(ref error, new SpeechTokException($"sample {i}: {e.Message}", e), null); }
            }
        });
        return error == null ? result : throw error;
    }

    private List<int> Ranks(int[][]? codes) =>
        _vocab!.KeptRanks(codes ?? throw new SpeechTokException($"serialisation '{Mode}' needs the sample's RVQ codes"));

    /// <summary>The original's pre-training line (METHOD §2.7); zero kept features give <c>&lt;|audio|&gt;  &lt;|audio_end|&gt;</c>.</summary>
    internal static string ReferenceLine(string text, IEnumerable<int> ranks)
    {
        var sb = new StringBuilder();
        sb.Append(AudioVocabulary.Text).Append(' ').Append(text).Append(' ').Append(AudioVocabulary.TextEnd).Append(' ').Append(AudioVocabulary.Audio).Append(' ');
        bool first = true;
        foreach (int r in ranks)
        {
            if (!first) sb.Append(' ');
            sb.Append(AudioFeatureLayout.TokenName(r));
            first = false;
        }
        return sb.Append(' ').Append(AudioVocabulary.AudioEnd).ToString();
    }
}
