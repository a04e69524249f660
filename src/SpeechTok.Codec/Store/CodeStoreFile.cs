using System.Text.Json.Serialization;
using SpeechTok.IO;

namespace SpeechTok.Codec.Store;

/// <summary>
/// store.json of a code store (<see cref="CodeStore"/>, docs/codes.md): which tokenizer made the codes, their shape and
/// how the clips were read. Written once, when the store is created; no newline at the end, as it always was.
/// </summary>
public sealed record CodeStoreFile : IArtifact
{
    public const string FileName = "store.json";
    /// <summary>Versions 1 and 2 lack what version 3's records say about their clips: refused with the reason, as a new store is needed.</summary>
    public static readonly ArtifactKind Kind = new("code store", CodeStore.Format, CodeStore.FormatVersion, FinalNewline: false,
        OlderVersion: v => v is 1 or 2
            ? $"whose records do not say {(v == 1 ? "which recordings they were made from" : "their clips' file names")}; this build reads {CodeStore.FormatVersion}. Tokenize again into a new --out folder"
            : null);

    /// <summary>Identity of the tokenizer that made the codes (<see cref="TokenizerLoader.Identity"/>): codes of two tokenizers are never mixed.</summary>
    [JsonPropertyName("tokenizer")] public required string Tokenizer { get; init; }
    /// <summary>RVQ layers of every record.</summary>
    [JsonPropertyName("num_quantizers")] public required int NumQuantizers { get; init; }
    /// <summary>Codes per layer (at most 65536: the records hold uint16 codes).</summary>
    [JsonPropertyName("codebook_size")] public required int CodebookSize { get; init; }
    /// <summary>Whether the clips' channels were averaged (<c>--mixdown</c>) rather than channel 0 taken.</summary>
    [JsonPropertyName("mixdown")] public required bool Mixdown { get; init; }
    /// <summary>The records' file in the store folder (always <see cref="CodeStore.DataFile"/>).</summary>
    [JsonPropertyName("data_file")] public required string DataFile { get; init; }

    /// <summary>store.json of the store folder <paramref name="dir"/>.</summary>
    public static CodeStoreFile LoadFrom(string dir)
    {
        var path = Path.Combine(dir, FileName);
        if (!File.Exists(path)) throw new SpeechTokException($"{path}: missing; '{dir}' is not a code store (create one with `speechtok tokenize`)");
        return ArtifactJson.Load<CodeStoreFile>(path, Kind);
    }

    public void Save(string dir) => ArtifactJson.Save(Path.Combine(dir, FileName), this, Kind);

    public void Validate(string source)
    {
        if (string.IsNullOrEmpty(Tokenizer)) throw new SpeechTokException($"{source}: 'tokenizer' is empty");
        if (NumQuantizers < 1 || NumQuantizers > ushort.MaxValue)
            throw new SpeechTokException($"{source}: 'num_quantizers' is {NumQuantizers}, expected 1 to {ushort.MaxValue} (the records' uint16 layer count)");
        if (CodebookSize < 1 || CodebookSize > 65536)
            throw new SpeechTokException($"{source}: 'codebook_size' is {CodebookSize}, expected 1 to 65536 (the records' uint16 codes)");
        if (DataFile != CodeStore.DataFile) throw new SpeechTokException($"{source}: 'data_file' is '{DataFile}', expected '{CodeStore.DataFile}'");
    }
}
