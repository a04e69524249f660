using System.Security.Cryptography;
using System.Text;

namespace SpeechTok.Training;

/// <summary>
/// Plain-text corpora for <c>speechtok lm</c>: each file is one document (strict UTF-8, a BOM is dropped);
/// a folder stands for its <c>*.txt</c> files (not recursive), in ordinal name order.
/// </summary>
public static class TextCorpus
{
    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// The documents of <paramref name="paths"/> (files or folders), in the order given; each file once. An empty file is an
    /// error naming it. The entries of a folder that are not its documents (other files, subfolders) are added to
    /// <paramref name="skipped"/>, in ordinal order, so that a caller can say what was left out (<see cref="SkippedNote"/>).
    /// </summary>
    public static List<TextDocument> Load(IEnumerable<string> paths, ICollection<string>? skipped = null)
    {
        var docs = new List<TextDocument>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in paths)
        {
            string full = System.IO.Path.GetFullPath(p);
            string[] files;
            if (Directory.Exists(full))
            {
                files = Directory.GetFiles(full, "*.txt").Order(StringComparer.Ordinal).ToArray();
                if (files.Length == 0) throw new SpeechTokException($"text folder '{full}' has no *.txt file");
                foreach (var e in Directory.GetFileSystemEntries(full).Except(files).Order(StringComparer.Ordinal)) skipped?.Add(e);
            }
            else if (File.Exists(full)) files = [full];
            else throw new SpeechTokException($"text file or folder '{p}' does not exist");
            foreach (var f in files)
                if (seen.Add(f))
                {
                    var text = Read(f);
                    if (text.Length == 0) throw new SpeechTokException($"{f}: the document is empty; remove it or give it text");
                    docs.Add(new TextDocument(f, text));
                }
        }
        return docs;
    }

    /// <summary>
    /// "3 folder entries skipped (not *.txt files): 1791.TXT, 1793.text, drafts/", naming the first few; null when none.
    /// </summary>
    public static string? SkippedNote(IReadOnlyCollection<string> skipped)
    {
        const int named = 3;
        if (skipped.Count == 0) return null;
        var names = skipped.Take(named).Select(e => System.IO.Path.GetFileName(e) + (Directory.Exists(e) ? "/" : ""));
        return $"{skipped.Count} folder {(skipped.Count == 1 ? "entry" : "entries")} skipped (not *.txt files): {string.Join(", ", names)}{(skipped.Count > named ? ", …" : "")}";
    }

    private static string Read(string file)
    {
        var bytes = File.ReadAllBytes(file);
        int skip = bytes.AsSpan().StartsWith(Encoding.UTF8.Preamble) ? 3 : 0;
        try { return Strict.GetString(bytes, skip, bytes.Length - skip); }
        catch (DecoderFallbackException e) { throw new SpeechTokException($"{file}: not valid UTF-8 (byte {e.Index + skip})", e); }
    }

    /// <summary>
    /// Splits by the year that starts each file name (<c>2017_donald_j_trump_r.txt</c>): documents of
    /// <paramref name="fromYear"/> and later are held out. A name without a leading 4-digit year is an error.
    /// </summary>
    public static (List<TextDocument> Train, List<TextDocument> Valid) SplitByYear(IReadOnlyList<TextDocument> docs, int fromYear)
    {
        var train = new List<TextDocument>();
        var valid = new List<TextDocument>();
        foreach (var d in docs)
        {
            if (d.Name.Length < 4 || !int.TryParse(d.Name.AsSpan(0, 4), System.Globalization.NumberStyles.None, null, out int year))
                throw new SpeechTokException($"{d.Path}: --valid-from-year needs file names that start with a 4-digit year");
            (year >= fromYear ? valid : train).Add(d);
        }
        return (train, valid);
    }

    /// <summary>SHA-256 (hex) of the documents' file names and texts, in order: the corpus identity recorded with a model.</summary>
    public static string Sha256(IEnumerable<TextDocument> docs)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var d in docs)
        {
            sha.AppendData(Encoding.UTF8.GetBytes(d.Name + "\0"));
            sha.AppendData(Encoding.UTF8.GetBytes(d.Text + "\0"));
        }
        return Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant();
    }
}
