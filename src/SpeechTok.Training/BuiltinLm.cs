using System.Security.Cryptography;

namespace SpeechTok.Training;

/// <summary>
/// <c>--model builtin</c>: the small Llama that ships with SpeechTok, pre-trained from scratch (every weight) on the
/// US State of the Union addresses 1790–2016 by <c>bash scripts/build-builtin-lm.sh</c> (<c>speechtok lm train</c>,
/// deterministic for its seed), held-out 2017–2021. A Hugging Face folder (config.json, model.safetensors,
/// tokenizer.json, …; see its README.md and training_metrics.json) kept in the repository under
/// <c>models/builtin-lm/</c> and copied next to the program as <c>builtin-lm/</c>, so it loads like any downloaded
/// model. Its weights are checked against <see cref="ModelSha256"/> once per process.
/// </summary>
public static class BuiltinLm
{
    /// <summary>The folder's name next to the program (and under <c>models/</c> in the repository).</summary>
    public const string FolderName = "builtin-lm";

    /// <summary>sha256 of the shipped model.safetensors, as built by scripts/build-builtin-lm.sh.</summary>
    public const string ModelSha256 = "16a7d402eef8beaad44ecb4b07c8688c5f6b95c78aeb39a52b2b1dbee01b60c5";

    private static readonly Lazy<string> Checked = new(Check);

    /// <summary>Where the shipped folder is expected: <c>builtin-lm/</c> beside the program's assemblies.</summary>
    public static string ExpectedFolder => Path.Combine(AppContext.BaseDirectory, FolderName);

    /// <summary>The shipped model folder, its weights checked. Throws when it is missing or altered.</summary>
    public static string Folder => Checked.Value;

    /// <summary>
    /// Whether <paramref name="folder"/> holds the built-in LM's weights (its model.safetensors has the shipped size and
    /// sha256). Only a file of the same size is hashed, so other models cost one stat.
    /// </summary>
    public static bool IsCopy(string folder)
    {
        var mine = new FileInfo(Path.Combine(ExpectedFolder, "model.safetensors"));
        var theirs = new FileInfo(Path.Combine(folder, "model.safetensors"));
        if (!mine.Exists || !theirs.Exists || mine.Length != theirs.Length) return false;
        using var f = theirs.OpenRead();
        return Convert.ToHexStringLower(SHA256.HashData(f)) == ModelSha256;
    }

    private static string Check()
    {
        string dir = ExpectedFolder, weights = Path.Combine(dir, "model.safetensors");
        if (!File.Exists(weights))
            throw new SpeechTokException($"the built-in LM is missing: {weights} does not exist (it ships in models/{FolderName}/ of the repository and is copied there by the build)");
        string sha;
        using (var f = File.OpenRead(weights)) sha = Convert.ToHexString(SHA256.HashData(f)).ToLowerInvariant();
        if (sha != ModelSha256)
            throw new SpeechTokException($"{weights}: sha256 {sha} is not the built-in LM's {ModelSha256} (rebuild it with scripts/build-builtin-lm.sh, or pass --model DIR for another model)");
        return dir;
    }
}
