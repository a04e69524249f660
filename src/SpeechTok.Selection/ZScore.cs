using System.Text.Json.Serialization;

namespace SpeechTok.Selection;

/// <summary>
/// Per-dimension standardisation with the train rows' mean and population std (sklearn's StandardScaler); a constant
/// dimension maps to 0. Used for the MFCC baselines' vectors and the audio-vector system's utterance vectors (kept in
/// run.json, so prediction normalises exactly as training did).
/// </summary>
public sealed record ZScore(
    [property: JsonPropertyName("mean")] double[] Mean,
    [property: JsonPropertyName("std")] double[] Std)
{
    public static ZScore Fit(IReadOnlyList<float[]> train)
    {
        if (train.Count == 0) throw new SpeechTokException("no train row to fit the standardisation on");
        int d = train[0].Length;
        var mean = new double[d];
        var std = new double[d];
        for (int c = 0; c < d; c++)
        {
            mean[c] = train.Average(r => (double)r[c]);
            std[c] = Math.Sqrt(train.Average(r => (r[c] - mean[c]) * (r[c] - mean[c])));
        }
        return new ZScore(mean, std);
    }

    public float[] Apply(float[] v)
    {
        if (v.Length != Mean.Length) throw new SpeechTokException($"a row of {v.Length} values for a standardisation of {Mean.Length} dimensions");
        var z = new float[v.Length];
        for (int c = 0; c < v.Length; c++) z[c] = Std[c] > 0 ? (float)((v[c] - Mean[c]) / Std[c]) : 0f;
        return z;
    }

    /// <summary>Equal lengths, finite values, std ≥ 0.</summary>
    public void Validate(string source)
    {
        if (Mean.Length != Std.Length || Mean.Length == 0) throw new SpeechTokException($"{source}: mean and std must be non-empty and of one length ({Mean.Length} vs {Std.Length})");
        if (!Mean.All(double.IsFinite) || !Std.All(s => double.IsFinite(s) && s >= 0)) throw new SpeechTokException($"{source}: a mean or std is not finite (or a std is negative)");
    }
}
