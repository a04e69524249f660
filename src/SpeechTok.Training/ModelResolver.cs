using SpeechTok.Audio;

namespace SpeechTok.Training;

/// <summary>Turns a <c>--model</c> value into a model folder: <c>builtin</c> trains (or reuses) the built-in LM on the manifest's train texts.</summary>
public static class ModelResolver
{
    /// <summary>The <c>--model</c> value that selects the built-in LM.</summary>
    public const string Builtin = "builtin";

    public static string DefaultCache() =>
        Environment.GetEnvironmentVariable("SPEECHTOK_CACHE") is { Length: > 0 } c ? Path.Combine(c, "builtin-lm")
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "speechtok", "builtin-lm");

    /// <summary>The model folder; <c>builtin</c> is trained on the train split of <paramref name="manifest"/>, which it then requires.</summary>
    public static string Resolve(string model, Manifest? manifest, string? cache, BuiltinLmOptions? options = null, Action<string>? log = null)
    {
        if (model != Builtin) return model;
        if (manifest == null) throw new SpeechTokException("--model builtin is trained on a manifest's train texts: pass --manifest M.csv (or a model folder)");
        return BuiltinLm.Ensure(manifest.Split("train").Select(s => s.Text).ToList(), cache ?? DefaultCache(), options, log);
    }
}
