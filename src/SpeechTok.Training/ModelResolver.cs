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
        string full = RunFiles.FullPath(folder)!;
        return string.Equals(full, RunFiles.FullPath(BuiltinLm.ExpectedFolder), StringComparison.Ordinal) || BuiltinLm.IsCopy(full) ? Builtin : full;
    }

    /// <summary>
    /// A stamp of a model folder (not the built-in LM, whose weights' sha256 is recorded instead): sha256 over the contents
    /// of config.json and the tokenizer files, and each weight file's name, size and modification time (hashing gigabytes
    /// of weights at every predict would cost more than it guards). Recorded in run.json and pretrain.json so that a
    /// folder whose weights were replaced at the same path is refused, not used in silence.
    /// </summary>
    public static string? Stamp(string reference)
    {
        if (reference == Builtin) return null;
        string folder = Resolve(reference);
        using var all = new MemoryStream();
        void Add(string text) => all.Write(System.Text.Encoding.UTF8.GetBytes(text + "\n"));
        foreach (var f in new[] { "config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json" })
            if (File.Exists(Path.Combine(folder, f))) Add(f + " " + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(Path.Combine(folder, f)))));
        foreach (var f in Directory.GetFiles(folder, "*.safetensors*").Order(StringComparer.Ordinal))
        {
            var info = new FileInfo(f);
            Add($"{info.Name} {info.Length} {info.LastWriteTimeUtc.Ticks}");
        }
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(all.ToArray()));
    }

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
