namespace SpeechTok.Tests.Conformance;

/// <summary>
/// Finds conformance fixture folders. The root is <c>$SPEECHTOK_FIXTURES</c>, or the repo's own
/// <c>tests/fixtures</c>. Folders are discovered by name prefix so that new fixtures with other
/// configurations are checked without code changes; finding none is a failure, never a silent pass.
/// </summary>
public static class FixtureRoot
{
    public static string Root
    {
        get
        {
            var env = Environment.GetEnvironmentVariable("SPEECHTOK_FIXTURES");
            if (!string.IsNullOrWhiteSpace(env)) return Path.GetFullPath(env);
            return Path.Combine(RepoRoot, "tests", "fixtures");
        }
    }

    public static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir != null && !File.Exists(Path.Combine(dir.FullName, "SpeechTok.slnx"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("cannot find the repository root (SpeechTok.slnx) above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>All fixture folders whose name starts with <paramref name="prefix"/>; throws when there are none.</summary>
    public static IReadOnlyList<string> Folders(string prefix)
    {
        var root = Root;
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"fixture root '{root}' does not exist (set SPEECHTOK_FIXTURES)");
        var found = Directory.GetDirectories(root)
            .Where(d => Path.GetFileName(d).StartsWith(prefix, StringComparison.Ordinal))
            .OrderBy(d => d, StringComparer.Ordinal)
            .ToList();
        if (found.Count == 0) throw new InvalidOperationException($"no fixture folder named '{prefix}*' under '{root}'");
        return found;
    }

    /// <summary>Theory data: one row per fixture folder (the folder name; resolve with <see cref="Folder"/>).</summary>
    public static TheoryData<string> Data(string prefix)
    {
        var data = new TheoryData<string>();
        foreach (var f in Folders(prefix)) data.Add(Path.GetFileName(f));
        return data;
    }

    public static string Folder(string name) => Path.Combine(Root, name);
}
