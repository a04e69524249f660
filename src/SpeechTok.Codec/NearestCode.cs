using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace SpeechTok.Codec;

/// <summary>
/// Nearest codebook entry from GEMM scores: with <c>score[j] = −2·x·c_j</c> and <c>norm2[j] = ‖c_j‖²</c>,
/// argmin_j ‖x − c_j‖² = argmin_j (score[j] + norm2[j]) since ‖x‖² is the same for every j. The first
/// index wins ties, as torch's max/argmin does, which exact RVQ codes depend on; NaN sums are never taken, and
/// when every sum is NaN or +∞ the answer is index 0 with value +∞.
/// </summary>
internal static class NearestCode
{
    /// <summary>argmin over j of score[j] + norm2[j] (both [k], k ≥ 1), and that minimum in <paramref name="value"/>.</summary>
    public static int ArgMin(ReadOnlySpan<float> score, ReadOnlySpan<float> norm2, out float value)
    {
        if (norm2.Length < score.Length) throw new ArgumentException($"norm2 has {norm2.Length} entries for {score.Length} scores", nameof(norm2));
        // Each lane keeps its own first minimum (strict <, so NaN and later ties never replace it); the lanes are then
        // merged by value and, on equal values, by the smaller index: the scalar scan's answer, sum for sum.
        int j = 0, best = 0;
        float bestValue = float.PositiveInfinity;
        if (Vector512.IsHardwareAccelerated && score.Length >= 2 * Vector512<float>.Count)
        {
            ref float s = ref MemoryMarshal.GetReference(score), n = ref MemoryMarshal.GetReference(norm2);
            var minV = Vector512.Create(float.PositiveInfinity);
            var minI = Vector512<int>.Zero;
            var idx = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
            var step = Vector512.Create(Vector512<float>.Count);
            for (; j <= score.Length - Vector512<float>.Count; j += Vector512<float>.Count, idx += step)
            {
                var v = Vector512.LoadUnsafe(ref s, (nuint)j) + Vector512.LoadUnsafe(ref n, (nuint)j);
                var less = Vector512.LessThan(v, minV);
                minV = Vector512.ConditionalSelect(less, v, minV);
                minI = Vector512.ConditionalSelect(less.AsInt32(), idx, minI);
            }
            for (int lane = 0; lane < Vector512<float>.Count; lane++)
            {
                float v = minV.GetElement(lane);
                int i = minI.GetElement(lane);
                if (v < bestValue || (v == bestValue && i < best)) { bestValue = v; best = i; }
            }
        }
        for (; j < score.Length; j++)
        {
            float v = score[j] + norm2[j];
            if (v < bestValue) { bestValue = v; best = j; }
        }
        value = bestValue;
        return best;
    }
}
