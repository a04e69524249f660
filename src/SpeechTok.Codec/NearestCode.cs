namespace SpeechTok.Codec;

/// <summary>
/// Nearest codebook entry from GEMM scores: with <c>score[j] = −2·x·c_j</c> and <c>norm2[j] = ‖c_j‖²</c>,
/// argmin_j ‖x − c_j‖² = argmin_j (score[j] + norm2[j]) since ‖x‖² is the same for every j. The first
/// index wins ties, as torch's max/argmin does, which exact RVQ codes depend on.
/// </summary>
internal static class NearestCode
{
    public static int ArgMin(ReadOnlySpan<float> score, ReadOnlySpan<float> norm2, out float value)
    {
        int best = 0;
        float bestValue = float.PositiveInfinity;
        for (int j = 0; j < score.Length; j++)
        {
            float v = score[j] + norm2[j];
            if (v < bestValue) { bestValue = v; best = j; }
        }
        value = bestValue;
        return best;
    }
}
