using System.Text.Json.Nodes;
using SpeechTok.Audio;
using SpeechTok.Audio.Features;
using SpeechTok.Selection;

namespace SpeechTok.Tests.Selection;

/// <summary>The MFCC baselines end to end on generated clips: low tones (class 0) vs high tones (class 1).</summary>
public sealed class MfccBaselineTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mfcc-baseline-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void MfccAndBowMfccSeparateTones()
    {
        var manifest = Manifest.Load(ToneManifest(3, (clip, f, rng) =>
        {
            var wav = new float[8000];
            for (int t = 0; t < wav.Length; t++) wav[t] = (float)(0.3 * Math.Sin(2 * Math.PI * f * t / 16000) + 0.01 * (rng.NextDouble() - 0.5));
            WavWriter.Write(clip, wav, 16000);
        }));
        foreach (var system in new[] { "mfcc", "bow-mfcc" })
        {
            var r = Baselines.Run(system, manifest, Baselines.DefaultGrid, Baselines.MfccFeaturesOf(false));
            Assert.Equal(1.0, r.MacroF1);
        }
        // Text alone carries no signal here.
        Assert.True(Baselines.Run("bow", manifest, Baselines.DefaultGrid).MacroF1 < 0.7);
    }

    /// <summary>
    /// baseline read channel 0 of a multi-channel clip, with no --mixdown as tokenize has: a comparison with audio systems
    /// whose codes averaged the channels read other audio. Here only channel 1 carries the class.
    /// </summary>
    [Fact]
    public void Mixdown_averages_the_channels_of_the_clips_the_mfcc_baselines_read()
    {
        var path = ToneManifest(5, (clip, f, rng) =>
        {
            float[] noise = new float[8000], tone = new float[8000]; // channel 0 the same faint noise for every class, channel 1 the tone
            for (int t = 0; t < 8000; t++)
            {
                noise[t] = (float)(0.01 * (rng.NextDouble() - 0.5));
                tone[t] = (float)(0.3 * Math.Sin(2 * Math.PI * f * t / 16000));
            }
            Audio.StereoWav.Write(clip, noise, tone);
        });
        var sample = Manifest.Load(path).Split("train")[1];
        Assert.Equal(BaselineFeatures.Compute(AudioLoader.LoadSample(sample, mixdown: true)), Baselines.MfccFeaturesOf(true)(sample));
        Assert.Equal(BaselineFeatures.Compute(AudioLoader.LoadSample(sample)), Baselines.MfccFeaturesOf(false)(sample));
        Assert.NotEqual(Baselines.MfccFeaturesOf(false)(sample), Baselines.MfccFeaturesOf(true)(sample));

        string outDir = Path.Combine(_dir, "out");
        var (code, _, err) = CliRunner.Run("baseline", "mfcc", "--manifest", path, "--mixdown", "--out", outDir);
        Assert.True(code == 0, err);
        var entry = Evaluation.ExperimentResults.Load(Path.Combine(outDir, Evaluation.ExperimentResults.FileName)).Systems.Single();
        Assert.Equal(1.0, entry.MacroF1);
        Assert.True(BaselineDetails.Of(entry).Mixdown);
        (code, _, err) = CliRunner.Run("baseline", "bow", "--manifest", path, "--mixdown", "--out", outDir);
        Assert.Equal((2, "error: --mixdown is for the systems that read clips (mfcc, bow-mfcc); bow reads only the text"), (code, err.Trim()));
    }

    /// <summary>An experiment counts its own finished entries as done, so a baseline of other settings into its folder would
    /// be reported as the experiment's: refused, results.json untouched.</summary>
    [Fact]
    public void Baseline_refuses_an_experiment_folder()
    {
        var path = ToneManifest(7, (clip, f, _) => WavWriter.Write(clip, Enumerable.Range(0, 4000).Select(t => (float)(0.3 * Math.Sin(2 * Math.PI * f * t / 16000))).ToArray(), 16000));
        string outDir = Path.Combine(_dir, "exp");
        var (code, _, err) = CliRunner.Run("experiment", "--manifest", path, "--systems", "bow", "--out", outDir);
        Assert.True(code == 0, err);
        var before = File.ReadAllText(Path.Combine(outDir, Evaluation.ExperimentResults.FileName));
        (code, _, err) = CliRunner.Run("baseline", "bow", "--manifest", path, "--grid", "0.001", "--out", outDir);
        Assert.Equal(2, code);
        Assert.StartsWith($"error: --out {outDir} is an experiment's folder (it holds experiment.json)", err.Trim());
        Assert.Equal(before, File.ReadAllText(Path.Combine(outDir, Evaluation.ExperimentResults.FileName)));
    }

    /// <summary>
    /// baseline upserted into results.json checking only the manifest's path and task, so a baseline run after the manifest's
    /// labels were edited sat beside one of the old labels under one manifest name. results.json records manifest_sha256
    /// now, and an edited manifest is refused before the baseline is computed, leaving the file as it was.
    /// </summary>
    [Fact]
    public void Baseline_refuses_to_add_results_of_an_edited_manifest()
    {
        var path = ToneManifest(7, (clip, f, _) => WavWriter.Write(clip, Enumerable.Range(0, 4000).Select(t => (float)(0.3 * Math.Sin(2 * Math.PI * f * t / 16000))).ToArray(), 16000));
        string outDir = Path.Combine(_dir, "out"), results = Path.Combine(outDir, Evaluation.ExperimentResults.FileName);
        var (code, _, err) = CliRunner.Run("baseline", "bow", "--manifest", path, "--out", outDir);
        Assert.True(code == 0, err);
        var sha = Manifest.Load(path).Sha256;
        Assert.Equal(sha, Evaluation.ExperimentResults.Load(results).ManifestSha256);
        var before = File.ReadAllText(results);

        var lines = File.ReadAllLines(path);
        lines[^1] = lines[^1][..^1] + (lines[^1][^1] == '0' ? "1" : "0"); // one test label edited
        File.WriteAllLines(path, lines);
        (code, _, err) = CliRunner.Run("baseline", "mfcc", "--manifest", path, "--out", outDir);
        Assert.Equal(2, code);
        Assert.Contains($"{results}: holds results of {path} as it was then (manifest_sha256 {sha}), but the manifest has changed since (sha256 now {Manifest.Load(path).Sha256})", err);
        Assert.Contains("Use a new --out", err);
        Assert.Equal(before, File.ReadAllText(results));

        // a new --out takes the edited manifest; results.json written by an older build (no manifest_sha256) still loads, and
        // stays without a hash (its entries may come from another version of the manifest)
        (code, _, err) = CliRunner.Run("baseline", "mfcc", "--manifest", path, "--out", Path.Combine(_dir, "out2"));
        Assert.True(code == 0, err);
        var old = JsonNode.Parse(before)!.AsObject();
        old.Remove("manifest_sha256");
        File.WriteAllText(results, old.ToJsonString());
        (code, _, err) = CliRunner.Run("baseline", "mfcc", "--manifest", path, "--out", outDir);
        Assert.True(code == 0, err);
        var merged = Evaluation.ExperimentResults.Load(results);
        Assert.Null(merged.ManifestSha256);
        Assert.Equal(["bow", "mfcc"], merged.Systems.Select(s => s.System));
    }

    /// <summary>12 samples a split, the same text, class 0 a low tone (~220 Hz), class 1 a high one (~1760 Hz): <paramref name="writeClip"/>(path, frequency, rng) writes each clip. Returns the manifest's path.</summary>
    private string ToneManifest(int seed, Action<string, double, Random> writeClip)
    {
        var rng = new Random(seed);
        var lines = new List<string> { "split,text,audio_path_list,label" };
        foreach (var split in new[] { "train", "val", "test" })
            for (int i = 0; i < 12; i++)
            {
                int label = i % 2;
                double f = (label == 0 ? 220 : 1760) * (1 + 0.05 * rng.NextDouble());
                var name = $"{split}{i}.wav";
                writeClip(Path.Combine(_dir, name), f, rng);
                lines.Add($"{split},same words here,{name},{label}");
            }
        var path = Path.Combine(_dir, "m.csv");
        File.WriteAllLines(path, lines);
        return path;
    }
}
