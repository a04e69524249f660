namespace SpeechTok.Codec.Builtin;

/// <summary>
/// The built-in utterance embedding: statistics pooling (mean and standard deviation over frames, as x-vector
/// style embeddings pool) of the 84 frame features the built-in tokenizer quantizes (<see cref="BuiltinFeatures"/>:
/// spectral shape and its deltas, level, delta level, log2 F0, voicing), plus the log duration. Means carry the
/// voice's timbre and average pitch and level; standard deviations carry how much pitch and level move (arousal
/// and emphasis), which a mean alone loses; the duration carries the speaking rate given the words. log2 F0 is pooled
/// over voiced frames only (0 and 0 when none is voiced). Dim = 2·84 + 1 = 169; nothing is fitted, so one clip's
/// vector never depends on other clips (normalisation is the consumer's, with train statistics).
/// </summary>
public sealed class BuiltinUtteranceEncoder : IUtteranceEncoder
{
    public string Identity => "builtin-stats-v1";
    public int Dim => 2 * BuiltinFeatures.Dim + 1;

    public float[] Encode(ReadOnlySpan<float> wav)
    {
        var f = BuiltinFeatures.Compute(wav);
        int d = BuiltinFeatures.Dim;
        var v = new float[Dim];
        for (int c = 0; c < d; c++)
        {
            double sum = 0, sq = 0;
            int n = 0;
            for (int t = 0; t < f.Frames; t++)
            {
                float x = f.Data[t * d + c];
                if (float.IsNaN(x)) continue; // unvoiced log F0
                sum += x; sq += (double)x * x; n++;
            }
            double mean = n == 0 ? 0 : sum / n;
            v[c] = (float)mean;
            v[d + c] = n == 0 ? 0 : (float)Math.Sqrt(Math.Max(0, sq / n - mean * mean));
        }
        v[2 * d] = (float)Math.Log(Math.Max(wav.Length, 1) / (double)BuiltinFeatures.SampleRate);
        return v;
    }
}
