using System.Runtime.InteropServices;
using System.Text;

namespace SpeechTok.Lm.Tokenization;

/// <summary>
/// Unicode normalisation (NFC, NFD, NFKC, NFKD) by the system ICU library's <c>unorm2</c> API.
/// Why not <see cref="string.Normalize()"/>: the build runs in invariant-globalization mode (culture-independent
/// number formatting in every output file), where .NET returns non-ASCII text unchanged. ICU is what .NET itself
/// uses on Linux (the SDK needs it); it is found the way .NET's globalization shim finds it: <c>libicuuc.so.N</c>
/// with version-suffixed symbols (<c>unorm2_normalize_72</c>), else unsuffixed symbols (macOS <c>libicucore</c>,
/// Windows <c>icu.dll</c>). <c>scripts/setup.sh</c> installs libicu when it is missing.
/// </summary>
internal static unsafe class IcuNormalizer
{
    private const int BufferOverflowError = 15; // U_BUFFER_OVERFLOW_ERROR

    private sealed class Api
    {
        public required delegate* unmanaged<int*, nint>[] Instances; // by NormalizationForm order below
        public required delegate* unmanaged<nint, char*, int, char*, int, int*, int> Normalize;
        public required string Library;
    }

    private static readonly Lazy<Api?> Loaded = new(Load);

    /// <summary>The ICU library in use (e.g. <c>libicuuc.so.72</c>), or null when none was found.</summary>
    public static string? Library => Loaded.Value?.Library;

    /// <summary>Throws a <see cref="SpeechTokException"/> naming <paramref name="where"/> when ICU cannot be loaded.</summary>
    public static void EnsureAvailable(string where)
    {
        if (Loaded.Value == null)
            throw new SpeechTokException($"{where}: Unicode normalisation needs the ICU library (libicuuc), which was not found; install libicu (scripts/setup.sh does)");
    }

    /// <summary><paramref name="text"/> in the given normalisation form. ASCII text is returned as is (every form
    /// leaves it unchanged). Lone surrogates pass through unchanged.</summary>
    public static string Normalize(string text, NormalizationForm form)
    {
        if (Ascii.IsValid(text)) return text;
        var api = Loaded.Value ?? throw new SpeechTokException("Unicode normalisation needs the ICU library (libicuuc), which was not found; install libicu (scripts/setup.sh does)");
        int err = 0;
        nint norm = api.Instances[FormIndex(form)](&err);
        if (err > 0 || norm == 0) throw new SpeechTokException($"ICU ({api.Library}): no {form} normaliser (error {err})");
        int capacity = text.Length * 2 + 16;
        while (true)
        {
            var buffer = new char[capacity];
            err = 0;
            int n;
            fixed (char* src = text)
            fixed (char* dst = buffer)
                n = api.Normalize(norm, src, text.Length, dst, capacity, &err);
            if (err == BufferOverflowError) { capacity = n + 16; continue; }
            if (err > 0) throw new SpeechTokException($"ICU ({api.Library}): unorm2_normalize failed with error {err}");
            return new string(buffer, 0, n);
        }
    }

    private static int FormIndex(NormalizationForm form) => form switch
    {
        NormalizationForm.FormC => 0,
        NormalizationForm.FormD => 1,
        NormalizationForm.FormKC => 2,
        NormalizationForm.FormKD => 3,
        _ => throw new ArgumentOutOfRangeException(nameof(form)),
    };

    private static readonly string[] InstanceNames = ["unorm2_getNFCInstance", "unorm2_getNFDInstance", "unorm2_getNFKCInstance", "unorm2_getNFKDInstance"];

    private static Api? Load()
    {
        var candidates = new List<(string Name, int Version)>();
        for (int v = 99; v >= 50; v--) candidates.Add(($"libicuuc.so.{v}", v));
        candidates.Add(("libicuuc.so", 0));
        candidates.Add(("libicucore.dylib", 0));
        candidates.Add(("icu.dll", 0));
        foreach (var (name, version) in candidates)
        {
            if (!NativeLibrary.TryLoad(name, out nint lib)) continue;
            // Symbols carry the major version as a suffix unless ICU was built without renaming.
            var suffixes = version > 0 ? new[] { "_" + version, "" } : Enumerable.Range(50, 50).Reverse().Select(v => "_" + v).Prepend("").ToArray();
            foreach (var suffix in suffixes)
            {
                if (!NativeLibrary.TryGetExport(lib, "unorm2_normalize" + suffix, out nint normalize)) continue;
                var instances = new delegate* unmanaged<int*, nint>[InstanceNames.Length];
                bool all = true;
                for (int k = 0; k < InstanceNames.Length && all; k++)
                {
                    all = NativeLibrary.TryGetExport(lib, InstanceNames[k] + suffix, out nint f);
                    instances[k] = (delegate* unmanaged<int*, nint>)f;
                }
                if (all)
                    return new Api { Instances = instances, Normalize = (delegate* unmanaged<nint, char*, int, char*, int, int*, int>)normalize, Library = name };
            }
            NativeLibrary.Free(lib);
        }
        return null;
    }
}
