using System.Collections.Concurrent;
using System.Text.Json.Serialization;
using SpeechTok.Audio;
using SpeechTok.Codec.Store;
using SpeechTok.IO;
using SpeechTok.Tensors;

namespace SpeechTok.Experiments.Runner;

/// <summary>
/// OUT/clips.json: every clip an experiment has read, by absolute path (experiment.json fixes the manifest and audio root),
/// with its sha256. The baselines and audio-vector read the clips themselves, not the code store, so without this record
/// a rerun after the clips changed saved their results from the new audio beside codes, selections and runs made from
/// the old (docs/experiments.md). Written atomically by the first run that reads clips.
/// </summary>
internal sealed record ExperimentClips : IArtifact
{
    public const string FileName = "clips.json";
    public static readonly ArtifactKind Kind = new("experiment clips", "speechtok-experiment-clips", Version: 1);

    [JsonPropertyName("clips")] public required IReadOnlyDictionary<string, ClipFingerprint> Clips { get; init; }

    public void Validate(string source)
    {
        foreach (var (clip, f) in Clips)
        {
            if (f.Sha256.Length != 64 || !f.Sha256.All(char.IsAsciiHexDigitLower))
                throw new SpeechTokException($"{source}: clip {clip} has sha256 '{f.Sha256}', expected 64 lowercase hex digits");
            if (f.Bytes < 0) throw new SpeechTokException($"{source}: clip {clip} has {f.Bytes} bytes, expected ≥ 0");
        }
    }

    /// <summary>
    /// Refuses, before any system runs, clips of <paramref name="manifest"/> whose bytes differ from those the folder's
    /// results were made from: checked against <c>clips.json</c>, or, in a folder of an older build that has none, against
    /// the code store in <paramref name="codesDir"/>. With <paramref name="record"/> (the run reads clips) the clips not yet in
    /// <c>clips.json</c> are added to it. A clip whose size and time are those recorded is not read.
    /// </summary>
    public static void Require(string root, Manifest manifest, string codesDir, bool record)
    {
        string path = Path.Combine(root, FileName), storeMeta = Path.Combine(codesDir, CodeStore.MetaFile);
        var was = File.Exists(path) ? ArtifactJson.Load<ExperimentClips>(path, Kind).Clips : null;
        if (was == null && !record && !File.Exists(storeMeta)) return; // nothing was made from the clips: nothing to compare or record

        var now = new ConcurrentDictionary<string, ClipFingerprint>(StringComparer.Ordinal);
        var changed = new ConcurrentBag<string>();
        if (was != null || record)
        {
            var clips = manifest.Samples.SelectMany(s => s.AudioPaths).Distinct().ToList();
            Threading.For(clips.Count, i =>
            {
                var known = was?.GetValueOrDefault(clips[i]);
                var f = known != null && known.Untouched(clips[i]) ? known : ClipFingerprint.Of(clips[i]);
                if (known != null && known.Sha256 != f.Sha256) changed.Add(clips[i]);
                else now[clips[i]] = f;
            });
        }
        string against = path;
        if (was == null && File.Exists(storeMeta))
        {
            against = codesDir;
            using var store = CodeStore.Open(codesDir);
            foreach (var s in manifest.Samples.Where(store.HasOtherAudio)) foreach (var clip in s.AudioPaths) changed.Add(clip);
        }
        if (!changed.IsEmpty)
        {
            var list = changed.Distinct().Order(StringComparer.Ordinal).ToList();
            throw new SpeechTokException($"{against}: {list.Count} clip(s) of {manifest.Path} have other bytes than when this experiment read them: " +
                $"{ShortList.Join(", ", list)}; its results, codes and runs were made from the old audio, and results of two versions of the data are never mixed: " +
                $"restore the clips, or run on the new audio with another --out (or after deleting {root})");
        }
        // what is saved: new clips, and new times of clips whose bytes are the same (touched, copied back), so they are not read again
        if (was == null ? !record : now.All(kv => was.GetValueOrDefault(kv.Key) == kv.Value)) return;
        var merged = new SortedDictionary<string, ClipFingerprint>(StringComparer.Ordinal);
        foreach (var (clip, f) in (was ?? new Dictionary<string, ClipFingerprint>()).Concat(now)) merged[clip] = f;
        ArtifactJson.Save(path, new ExperimentClips { Clips = merged }, Kind);
    }
}
