using SpeechTok.Audio;
using SpeechTok.Codec;
using SpeechTok.Tensors;
using SpeechTok.Tensors.IO;

namespace SpeechTok.Training;

/// <summary>
/// The utterance vectors of the audio-vector system: one <see cref="IUtteranceEncoder"/> vector a sample (its clips
/// concatenated), z-scored per dimension with the train split's mean and population std (a constant dimension → 0).
/// The statistics are saved in the run folder (<see cref="FileName"/>) so prediction normalises the same way.
/// </summary>
public sealed record AudioVectors(float[] Mean, float[] Std)
{
    public const string FileName = "audio_vector_norm.safetensors";

    /// <summary>Raw vectors of <paramref name="samples"/> in order (parallel; every clip must exist).</summary>
    public static float[][] Encode(IReadOnlyList<ManifestSample> samples, IUtteranceEncoder encoder)
    {
        var v = new float[samples.Count][];
        Threading.For(samples.Count, i =>
        {
            var e = encoder.Encode(AudioLoader.LoadSample(samples[i]));
            if (e.Length != encoder.Dim || !Array.TrueForAll(e, float.IsFinite))
                throw new SpeechTokException($"audio encoder {encoder.Identity}: sample {samples[i].Key} (manifest line {samples[i].Line}) gave {e.Length} values, expected {encoder.Dim} finite ones");
            v[i] = e;
        });
        return v;
    }

    public static AudioVectors Fit(IReadOnlyList<float[]> train)
    {
        if (train.Count == 0) throw new SpeechTokException("no train vector to fit the audio vector normalisation on");
        int d = train[0].Length;
        var mean = new float[d];
        var std = new float[d];
        for (int c = 0; c < d; c++)
        {
            double m = train.Average(r => (double)r[c]);
            mean[c] = (float)m;
            std[c] = (float)Math.Sqrt(train.Average(r => (r[c] - m) * (r[c] - m)));
        }
        return new AudioVectors(mean, std);
    }

    public float[] Normalize(float[] v)
    {
        if (v.Length != Mean.Length) throw ShapeMismatchException.Of("audio vector", [v.Length], [Mean.Length]);
        return v.Select((x, c) => Std[c] > 0 ? (x - Mean[c]) / Std[c] : 0f).ToArray();
    }

    public void Save(string dir) =>
        SafeTensors.Save(Path.Combine(dir, FileName), [("mean", Tensor.FromData(Mean, Mean.Length)), ("std", Tensor.FromData(Std, Std.Length))]);

    public static AudioVectors Load(string dir, int dim)
    {
        string path = Path.Combine(dir, FileName);
        if (!File.Exists(path)) throw new SpeechTokException($"audio vector normalisation '{path}' not found");
        using var st = SafeTensors.Open(path);
        float[] Get(string name)
        {
            if (!st.Contains(name)) throw new SpeechTokException($"{path}: tensor '{name}' is missing");
            using var t = st.Get(name);
            t.ExpectShape($"{path}: {name}", dim);
            return t.ToArray();
        }
        return new AudioVectors(Get("mean"), Get("std"));
    }
}
