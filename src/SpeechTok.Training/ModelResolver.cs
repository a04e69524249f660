using SpeechTok.IO;
using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace SpeechTok.Training;

/// <summary>
/// Turns a <c>--model</c> value into a model folder (<c>builtin</c> is the pre-trained model that ships with
/// SpeechTok, <see cref="BuiltinLm"/>), and back into what run and pre-training records store, so that a run made
/// on the built-in LM survives moving or reinstalling the program.
/// </summary>
public static class ModelResolver
{
    /// <summary>The <c>--model</c> value that selects the built-in LM.</summary>
    public const string Builtin = "builtin";

    /// <summary>The model folder for a <c>--model</c> value: <see cref="BuiltinLm.Folder"/> for <c>builtin</c>, else the value
    /// itself. An empty value, or a file, is refused.</summary>
    public static string Resolve(string model)
    {
        if (model == Builtin) return BuiltinLm.Folder;
        if (string.IsNullOrWhiteSpace(model)) throw new SpeechTokException("the model path is empty: give a Hugging Face model folder, or 'builtin'");
        if (File.Exists(model)) throw new SpeechTokException($"model '{model}' is a file: give the Hugging Face model folder that holds config.json, the weights and tokenizer.json");
        return model;
    }

    /// <summary>
    /// What a record stores for a model folder: <c>builtin</c> for the built-in LM (the value <c>builtin</c>, the shipped
    /// folder, or any copy of it such as the repository's <c>models/builtin-lm</c>: same weights), else the absolute path
    /// without a trailing separator. Also normalises what older records stored (the install path).
    /// </summary>
    public static string Reference(string folder)
    {
        if (folder == Builtin) return Builtin;
        string full = InputPaths.FullPath(folder)!;
        return string.Equals(full, InputPaths.FullPath(BuiltinLm.ExpectedFolder), StringComparison.Ordinal) || BuiltinLm.IsCopy(full) ? Builtin : full;
    }

    /// <summary>The start of a content stamp (<see cref="Stamp"/>); a recorded stamp without it was written by the
    /// legacy scheme (64 hex digits over the weight files' names, sizes and modification times).</summary>
    public const string StampPrefix = "sha256:";

    /// <summary>The files of a model folder whose bytes define it beside the weights: the LM config and the tokenizer.</summary>
    private static readonly string[] DefiningFiles = ["config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"];

    /// <summary>Each file's sha256 by (full path, length, modification time in UTC ticks): a folder is hashed once per process.</summary>
    private static readonly ConcurrentDictionary<(string Path, long Length, long Ticks), string> FileHashes = new();

    /// <summary>
    /// A stamp of a model folder (not the built-in LM, whose weights' sha256 is recorded instead): <see cref="StampPrefix"/>
    /// and the lowercase hex sha256 over one line per file, its name and the sha256 of its bytes, for config.json,
    /// tokenizer.json, tokenizer_config.json and special_tokens_map.json when present and every weight file
    /// (<c>*.safetensors*</c>: the shards and their index), in that order. It depends on the files' bytes only: a copied,
    /// moved or touched folder keeps it, and one edited byte of a weight, config or tokenizer file changes it. Recorded in
    /// run.json and pretrain.json so that a folder changed since is refused, not used in silence. The cost is one read of
    /// the weights per process (sha256 runs at about 1.5 GB/s on one core of the 2-core test machine: some 10 s for the
    /// 14 GB of a 7B model in the page cache, which the model's load reads anyway): a file's sha256 is
    /// kept for its (path, length, modification time), so the runs, pre-trainings and evaluations of one
    /// <c>experiment</c> hash a folder once. Within one process, a file rewritten to the same length at the same
    /// modification time (to the clock's resolution) therefore keeps its first hash.
    /// </summary>
    public static string? Stamp(string reference) =>
        reference == Builtin ? null : StampPrefix + Digest(Resolve(reference), w => $"{w.Name} {Sha256(w)}");

    /// <summary>
    /// Whether <paramref name="recorded"/> (a record's <c>model_stamp</c>) still describes the folder of
    /// <paramref name="reference"/>: a content stamp is compared with <see cref="Stamp"/>; a legacy one (no
    /// <see cref="StampPrefix"/>: records written before content stamps) is made again the legacy way, over the config and
    /// tokenizer files' bytes and each weight file's name, size and modification time, so a copied or touched folder no
    /// longer matches it (fine-tune again to get a content stamp). False for the built-in LM, which has no stamp.
    /// </summary>
    public static bool StampMatches(string recorded, string reference) =>
        reference != Builtin && recorded == (recorded.StartsWith(StampPrefix, StringComparison.Ordinal)
            ? Stamp(reference)
            : Digest(Resolve(reference), w => $"{w.Name} {w.Length} {w.LastWriteTimeUtc.Ticks}"));

    /// <summary>
    /// A recorded stamp in this build's form, so that a rerun compares records field by field: <paramref name="current"/>
    /// (this run's <see cref="Stamp"/> of <paramref name="reference"/>) when <paramref name="recorded"/> is absent (records
    /// older than stamps) or still matches the folder (<see cref="StampMatches"/>: legacy stamps included), else
    /// <paramref name="recorded"/> unchanged (the folder changed: the field differs).
    /// </summary>
    public static string? InCurrentForm(string? recorded, string reference, string? current) =>
        recorded == null || StampMatches(recorded, reference) ? current : recorded;

    /// <summary>sha256 (lowercase hex) over one line per defining file (its name and content sha256), then one per weight file made by <paramref name="weightLine"/>.</summary>
    private static string Digest(string folder, Func<FileInfo, string> weightLine)
    {
        var lines = new System.Text.StringBuilder();
        foreach (var f in DefiningFiles)
            if (File.Exists(Path.Combine(folder, f))) lines.Append(f).Append(' ').Append(Sha256(new FileInfo(Path.Combine(folder, f)))).Append('\n');
        foreach (var f in Directory.GetFiles(folder, "*.safetensors*").Order(StringComparer.Ordinal))
            lines.Append(weightLine(new FileInfo(f))).Append('\n');
        return Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(lines.ToString())));
    }

    /// <summary>The sha256 (lowercase hex) of a file's bytes, read in a stream (weights can pass 2 GB) once per (path, length, modification time).</summary>
    private static string Sha256(FileInfo file) =>
        FileHashes.GetOrAdd((file.FullName, file.Length, file.LastWriteTimeUtc.Ticks), key =>
        {
            using var stream = File.OpenRead(key.Path);
            return Convert.ToHexStringLower(SHA256.HashData(stream));
        });

    /// <summary>The built-in LM's weights sha256 when <paramref name="reference"/> is <c>builtin</c>, else null (recorded beside it).</summary>
    public static string? BuiltinSha256(string reference) => reference == Builtin ? BuiltinLm.ModelSha256 : null;

    /// <summary>
    /// The folder of a recorded model. A record of the built-in LM whose <paramref name="builtinSha256"/> is not this
    /// build's is refused (naming <paramref name="source"/>): weights trained on one base model do not fit another.
    /// </summary>
    public static string ResolveRecorded(string reference, string? builtinSha256, string source)
    {
        if (reference == Builtin && builtinSha256 != null && builtinSha256 != BuiltinLm.ModelSha256)
            throw new SpeechTokException($"{source}: made on the built-in LM with sha256 {builtinSha256[..Math.Min(12, builtinSha256.Length)]}…, but this build ships {BuiltinLm.ModelSha256[..12]}…; " +
                "what was trained on the other model does not fit this one: train again (or use the speechtok version it was made with)");
        return Resolve(reference);
    }
}
