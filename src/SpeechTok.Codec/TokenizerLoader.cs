using System.Security.Cryptography;
using SpeechTok.Audio;
using SpeechTok.Codec.Builtin;

namespace SpeechTok.Codec;

/// <summary>Opens a tokenizer folder: the built-in tokenizer, or an official SpeechTokenizer checkpoint folder.</summary>
public static class TokenizerLoader
{
    /// <summary>The <c>--tokenizer</c> value that selects the built-in tokenizer (fitted by the command on the train split).</summary>
    public const string Builtin = "builtin";
    /// <summary>Where <c>tokenize</c> and <c>experiment</c> fit the built-in tokenizer inside their code store folder.</summary>
    public const string BuiltinSubfolder = "tokenizer";

    /// <summary>
    /// <paramref name="dirOrBuiltin"/>: a folder whose config.json has <c>"format": "speechtok-builtin-tokenizer"</c>
    /// (the built-in tokenizer), or a folder with an official SpeechTokenizer config.json and model.pt /
    /// model.safetensors. The bare word <c>builtin</c> is resolved by the caller (commands fit one at a
    /// default place); here it is an error that says so.
    /// </summary>
    public static ISpeechTokenizer Load(string dirOrBuiltin)
    {
        if (dirOrBuiltin == Builtin)
            throw new SpeechTokException("--tokenizer builtin needs a fitted built-in tokenizer: run `speechtok tokenizer fit --manifest M.csv --out DIR` and pass --tokenizer DIR (`speechtok tokenize` fits one itself under <out>/tokenizer)");
        var dir = RequireFolder(dirOrBuiltin);
        if (BuiltinTokenizer.IsBuiltinFolder(dir)) return BuiltinTokenizer.Load(dir);
        return SpeechTokenizer.SpeechTokenizerModel.Load(dir);
    }

    /// <summary>
    /// The RVQ layers of a tokenizer folder (<see cref="ISpeechTokenizer.NumQuantizers"/>), read from its config.json alone:
    /// a command can check layer settings against them before it loads a checkpoint or encodes a clip.
    /// </summary>
    public static int NumQuantizers(string dir)
    {
        dir = RequireFolder(dir);
        return BuiltinTokenizer.IsBuiltinFolder(dir) ? BuiltinTokenizerConfig.LoadFrom(dir).NumQuantizers
            : SpeechTokenizer.SpeechTokenizerConfig.Load(Path.Combine(dir, "config.json")).NQ;
    }

    /// <summary>
    /// The full path of a tokenizer folder, checked without loading it: it exists and has a config.json (a built-in
    /// tokenizer's or an official SpeechTokenizer's), so that a long command can refuse a wrong path before it starts.
    /// </summary>
    public static string RequireFolder(string dir)
    {
        dir = Path.GetFullPath(dir);
        if (File.Exists(dir)) throw new SpeechTokException($"--tokenizer '{dir}' is a file; give the folder holding config.json and the checkpoint");
        if (!Directory.Exists(dir)) throw new SpeechTokException($"tokenizer folder '{dir}' does not exist");
        if (!File.Exists(Path.Combine(dir, "config.json")))
            throw new SpeechTokException($"tokenizer folder '{dir}' has no config.json (expected a built-in tokenizer or an official SpeechTokenizer config.json + model.pt/model.safetensors)");
        return dir;
    }

    /// <summary>
    /// A fingerprint of the tokenizer's files (config.json and the weights: *.safetensors, *.pt, ckpt.dev),
    /// so that a code store never mixes codes of two tokenizers.
    /// </summary>
    public static string Identity(string dir)
    {
        dir = RequireFolder(dir);
        var files = Directory.EnumerateFiles(dir)
            .Where(f => Path.GetFileName(f) is "config.json" or "ckpt.dev" || f.EndsWith(".safetensors", StringComparison.Ordinal) || f.EndsWith(".pt", StringComparison.Ordinal))
            .OrderBy(f => Path.GetFileName(f), StringComparer.Ordinal).ToList();
        if (files.Count == 0) throw new SpeechTokException($"tokenizer folder '{dir}' holds no config.json or weights");
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var f in files)
        {
            sha.AppendData(System.Text.Encoding.UTF8.GetBytes(Path.GetFileName(f) + "\0"));
            using var s = File.OpenRead(f);
            var buf = new byte[1 << 20];
            int n;
            while ((n = s.Read(buf)) > 0) sha.AppendData(buf, 0, n);
        }
        string kind = BuiltinTokenizer.IsBuiltinFolder(dir) ? "builtin" : "speechtokenizer";
        return $"{kind}:{Convert.ToHexStringLower(sha.GetHashAndReset())[..32]}";
    }

    /// <summary>
    /// The built-in tokenizer at <paramref name="dir"/>; when the folder holds none, one is fitted on the
    /// manifest's train split and saved there first (what <c>--tokenizer builtin</c> means for commands
    /// that have a manifest).
    /// </summary>
    public static BuiltinTokenizer LoadOrFitBuiltin(string dir, Manifest manifest, BuiltinFitOptions options, bool mixdown = false, Action<string>? log = null)
    {
        if (BuiltinTokenizer.IsBuiltinFolder(dir)) return BuiltinTokenizer.Load(dir);
        log?.Invoke($"fitting the built-in tokenizer on the train split of {manifest.Path} into {dir}");
        var tok = BuiltinTokenizer.Fit(manifest, options, mixdown, log);
        tok.Save(dir);
        return tok;
    }
}
