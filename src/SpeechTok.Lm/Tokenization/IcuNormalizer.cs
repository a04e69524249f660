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
/// HF <c>tokenizers</c> normalises with Unicode 9.0 tables (crate unicode-normalization-alignments 0.1.12), so the
/// normaliser is ICU's filtered to <c>[:age=9.0:]</c>: a character assigned later passes through unchanged and
/// is a boundary, as an unassigned starter is in Unicode 9.0 (e.g. NFKC keeps U+A7F3 ꟳ, a Unicode 14 letter).
/// </summary>
internal static unsafe class IcuNormalizer
{
    private const int BufferOverflowError = 15; // U_BUFFER_OVERFLOW_ERROR

    /// <summary>The Unicode version of HF's normalisation tables.</summary>
    public const string UnicodeVersion = "9.0";

    private sealed class Api
    {
        public required nint[] Normalizers; // filtered to UnicodeVersion, by NormalizationForm order below
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
        nint norm = api.Normalizers[FormIndex(form)];
        int err;
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
                if (!NativeLibrary.TryGetExport(lib, "unorm2_normalize" + suffix, out nint normalize)
                    || !NativeLibrary.TryGetExport(lib, "unorm2_openFiltered" + suffix, out nint openFiltered)
                    || !NativeLibrary.TryGetExport(lib, "uset_openPattern" + suffix, out nint openPattern)
                    || !NativeLibrary.TryGetExport(lib, "uset_freeze" + suffix, out nint freeze)) continue;
                int err = 0;
                string pattern = $"[:age={UnicodeVersion}:]";
                nint set;
                fixed (char* p = pattern) set = ((delegate* unmanaged<char*, int, int*, nint>)openPattern)(p, pattern.Length, &err);
                if (err > 0 || set == 0) continue;
                ((delegate* unmanaged<nint, void>)freeze)(set);
                // The instances and the frozen set live for the process, as ICU intends for shared normalisers.
                var normalizers = new nint[InstanceNames.Length];
                for (int k = 0; k < InstanceNames.Length && err <= 0; k++)
                {
                    if (!NativeLibrary.TryGetExport(lib, InstanceNames[k] + suffix, out nint get)) { err = 1; break; }
                    nint instance = ((delegate* unmanaged<int*, nint>)get)(&err);
                    if (err <= 0) normalizers[k] = ((delegate* unmanaged<nint, nint, int*, nint>)openFiltered)(instance, set, &err);
                }
                if (err <= 0)
                    return new Api { Normalizers = normalizers, Normalize = (delegate* unmanaged<nint, char*, int, char*, int, int*, int>)normalize, Library = name };
            }
            NativeLibrary.Free(lib);
        }
        return null;
    }
}
