using System.Text.Json.Nodes;
using SpeechTok.Audio;
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
        var rng = new Random(3);
        var lines = new List<string> { "split,text,audio_path_list,label" };
        foreach (var split in new[] { "train", "val", "test" })
            for (int i = 0; i < 12; i++)
            {
                int label = i % 2;
                double f = (label == 0 ? 220 : 1760) * (1 + 0.05 * rng.NextDouble());
                var wav = new float[8000];
                for (int t = 0; t < wav.Length; t++) wav[t] = (float)(0.3 * Math.Sin(2 * Math.PI * f * t / 16000) + 0.01 * (rng.NextDouble() - 0.5));
                var name = $"{split}{i}.wav";
                WavWriter.Write(Path.Combine(_dir, name), wav, 16000);
                lines.Add($"{split},same words here,{name},{label}");
            }
        var path = Path.Combine(_dir, "m.csv");
        File.WriteAllLines(path, lines);
        var manifest = Manifest.Load(path);
        foreach (var system in new[] { "mfcc", "bow-mfcc" })
        {
            var r = Baselines.Run(system, manifest, Baselines.DefaultGrid, Baselines.MfccFeatures);
            Assert.Equal(1.0, r["macro_f1"]!.GetValue<double>());
        }
        // Text alone carries no signal here.
        Assert.True(Baselines.Run("bow", manifest, Baselines.DefaultGrid)["macro_f1"]!.GetValue<double>() < 0.7);
    }
}
