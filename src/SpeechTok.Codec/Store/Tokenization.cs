using SpeechTok.IO;
using System.Text.Json;
using SpeechTok.Audio;

namespace SpeechTok.Codec.Store;

/// <summary>Tokenizes every sample of a manifest into a <see cref="CodeStore"/>, resumably.</summary>
public static class Tokenization
{
    /// <summary>
    /// Encodes the samples not yet in the store (or whose clips changed) in parallel, appending each as it
    /// finishes; <paramref name="progress"/>(done, total) after each. A sample whose clips only moved (same bytes,
    /// other path or time: a copied dataset) keeps its codes under the new stamp, without encoding. Cancelling
    /// leaves every finished record intact; a rerun picks up the rest. A sample that cannot be read or encoded does not
    /// stop the others: every one is encoded that can be, then one error lists those that could not (their manifest lines,
    /// clips and defects), so a dataset's bad clips are found in one run, not one per rerun.
    /// </summary>
    public static TokenizeResult Run(Manifest manifest, ISpeechTokenizer tokenizer, string tokenizerIdentity, string outDir, TokenizeOptions options,
        Action<int, int>? progress = null, CancellationToken cancel = default)
    {
        manifest.RequireClips();
        using var store = CodeStore.OpenOrCreate(outDir, tokenizerIdentity, tokenizer.NumQuantizers, tokenizer.CodebookSize, options.Mixdown);
        var po = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.Threads), CancellationToken = cancel };
        var samples = manifest.Samples;
        var matches = new SourceMatch[samples.Count];
        var now = new SampleSource[samples.Count];
        var pending = new List<ManifestSample>();
        int total = samples.Count, done = 0;
        try
        {
            // In parallel: a copied dataset means hashing every clip.
            Parallel.For(0, samples.Count, po, i =>
            {
                matches[i] = store.Compare(samples[i], out now[i]);
                if (matches[i] is SourceMatch.Same or SourceMatch.Moved && !store.IsIntact(samples[i].Key)) matches[i] = SourceMatch.Missing;
            });
            if (options.RefuseChangedBecause is { } why && Array.IndexOf(matches, SourceMatch.Changed) is int first and >= 0)
                throw new SpeechTokException($"{samples[first].Where}: {matches.Count(m => m == SourceMatch.Changed)} sample(s) have other audio than when {store.Directory} " +
                    $"was made (first: {string.Join(" | ", samples[first].AudioPaths)}); {why}");
            for (int i = 0; i < samples.Count; i++)
            {
                cancel.ThrowIfCancellationRequested();
                if (matches[i] == SourceMatch.Moved) store.Append(samples[i].Key, now[i], store.Get(samples[i].Key)); // re-stamped: readers need not hash the clips again
                else if (matches[i] != SourceMatch.Same) pending.Add(samples[i]);
            }
            done = total - pending.Count;
            progress?.Invoke(done, total);
            var failed = new System.Collections.Concurrent.ConcurrentBag<(int Line, string Message)>();
            Parallel.ForEach(pending, po, sample =>
            {
                var source = SampleSource.Of(sample.AudioPaths);
                int[][] codes;
                try
                {
                    var wav = AudioLoader.LoadSample(sample, options.Mixdown); // its errors name the manifest line and the clip
                    try { codes = tokenizer.Encode(wav); }
                    catch (SpeechTokException e)
                    {
                        throw new SpeechTokException($"{sample.Where} ({string.Join(" | ", sample.AudioPaths)}): {e.Message}", e);
                    }
                }
                catch (SpeechTokException e)
                {
                    failed.Add((sample.Line, e.Message));
                    return;
                }
                store.Append(sample.Key, source, codes);
                progress?.Invoke(Interlocked.Increment(ref done), total);
            });
            if (!failed.IsEmpty)
                throw new SpeechTokException($"{failed.Count} of {pending.Count} sample(s) to tokenize could not be read or encoded; the other {pending.Count - failed.Count} are in the store, " +
                    "and a rerun encodes only what is missing:\n  " + ShortList.Join("\n  ", failed.OrderBy(f => f.Line).Select(f => f.Message).ToList()));
        }
        catch (AggregateException ae) when (ae.InnerExceptions.FirstOrDefault(x => x is SpeechTokException) is SpeechTokException first)
        {
            throw first; // the samples finished so far stay in the store
        }
        store.CompactIfWasteful();
        if (options.JsonlPath != null) WriteJsonl(manifest, store, options.JsonlPath);
        return new TokenizeResult(total, total - pending.Count, pending.Count, store.TornTailBytes, store.DamagedRecords)
            { Restamped = matches.Count(m => m == SourceMatch.Moved) };
    }

    /// <summary>Writes <paramref name="codes"/> [layer][frame] as the property <paramref name="name"/>: an array of one array of codes per RVQ layer.</summary>
    public static void WriteCodes(Utf8JsonWriter w, string name, int[][] codes)
    {
        w.WriteStartArray(name);
        foreach (var layer in codes)
        {
            w.WriteStartArray();
            foreach (var c in layer) w.WriteNumberValue(c);
            w.WriteEndArray();
        }
        w.WriteEndArray();
    }

    /// <summary>One line per sample in manifest order: {"split":…,"index":…,"codes":[[layer 1],…]}; written atomically.</summary>
    public static void WriteJsonl(Manifest manifest, CodeStore store, string path)
    {
        AtomicFile.Write(path, fs =>
        {
            foreach (var s in manifest.Samples)
            {
                var codes = store.Get(s);
                using (var w = new Utf8JsonWriter(fs))
                {
                    w.WriteStartObject();
                    w.WriteString("split", s.Split);
                    w.WriteNumber("index", s.Index);
                    WriteCodes(w, "codes", codes);
                    w.WriteEndObject();
                }
                fs.WriteByte((byte)'\n');
            }
        });
    }
}
