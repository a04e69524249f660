using SpeechTok.Tensors;
using SpeechTok.Tensors.Ops;
using static SpeechTok.Tests.Tensors.GradCheck;

namespace SpeechTok.Tests.Tensors;

/// <summary>
/// Packed sequences (cu_seqlens, position ids) must compute what each sequence computes alone: attention stays
/// within a sequence and positions restart at 0. Each sequence runs the same kernels at its own length, so the
/// bits are equal, including lengths on both sides of the causal-block threshold (84) and an empty sequence.
/// </summary>
public sealed unsafe class PackedAttentionTests
{
    private const int Hq = 4, Hkv = 2, D = 64;

    [Fact]
    public void Packed_attention_equals_each_sequence_alone_bit_for_bit()
    {
        int[] lengths = [5, 0, 90, 1, 37, 130];
        var cu = Cu(lengths);
        int n = cu[^1];
        var q = Random(n * Hq * D, 21); var k = Random(n * Hkv * D, 22); var v = Random(n * Hkv * D, 23); var dOut = Random(n * Hq * D, 24);
        var o = new float[q.Length]; var probs = new float[Attention.ProbsLength(cu, Hq)];
        var dq = new float[q.Length]; var dk = new float[k.Length]; var dv = new float[v.Length];
        fixed (float* op = o, pp = probs, qp = q, kp = k, vp = v, dop = dOut, dqp = dq, dkp = dk, dvp = dv)
        {
            Attention.Forward(op, pp, qp, kp, vp, cu, [], Hq, Hkv, D);
            Attention.Backward(dqp, dkp, dvp, dop, pp, qp, kp, vp, cu, Hq, Hkv, D);
        }
        long probsAt = 0;
        for (int i = 0; i < lengths.Length; i++)
        {
            int t = lengths[i], r0 = cu[i];
            if (t == 0) continue;
            var (eo, ep, edq, edk, edv) = Alone(q, k, v, dOut, r0, t, []);
            string at = $"sequence {i} (t = {t})";
            AssertBits(eo, o.AsSpan(r0 * Hq * D, t * Hq * D).ToArray(), "out of " + at);
            AssertBits(ep, probs.AsSpan((int)probsAt, Hq * t * t).ToArray(), "probs of " + at);
            AssertBits(edq, dq.AsSpan(r0 * Hq * D, t * Hq * D).ToArray(), "dq of " + at);
            AssertBits(edk, dk.AsSpan(r0 * Hkv * D, t * Hkv * D).ToArray(), "dk of " + at);
            AssertBits(edv, dv.AsSpan(r0 * Hkv * D, t * Hkv * D).ToArray(), "dv of " + at);
            probsAt += (long)Hq * t * t;
        }
    }

    [Fact]
    public void Packed_key_mask_applies_within_each_sequence()
    {
        int[] lengths = [12, 9];
        var cu = Cu(lengths);
        int n = cu[^1];
        var mask = Enumerable.Repeat(1, n).ToArray();
        mask[3] = 0; mask[12 + 5] = 0; // a masked key inside each sequence
        var q = Random(n * Hq * D, 31); var k = Random(n * Hkv * D, 32); var v = Random(n * Hkv * D, 33);
        var o = new float[q.Length]; var probs = new float[Attention.ProbsLength(cu, Hq)];
        fixed (float* op = o, pp = probs, qp = q, kp = k, vp = v) Attention.Forward(op, pp, qp, kp, vp, cu, mask, Hq, Hkv, D);
        var (eo, _, _, _, _) = Alone(q, k, v, new float[q.Length], 12, 9, mask.AsSpan(12, 9).ToArray());
        AssertBits(eo, o.AsSpan(12 * Hq * D, 9 * Hq * D).ToArray(), "out of the second sequence");
        for (int row = 0; row < 12; row++)
            for (int h = 0; h < Hq; h++)
                Assert.Equal(0f, probs[(h * 12 + row) * 12 + 3]); // no query reads the masked key
    }

    [Fact]
    public void Query_rows_equal_those_rows_of_the_full_attention_and_its_gradients()
    {
        int[] lengths = [6, 90, 1, 20], positions = [5, 40, 0, 19];
        var cu = Cu(lengths);
        int n = cu[^1], b = lengths.Length;
        var mask = Enumerable.Repeat(1, n).ToArray();
        mask[cu[1] + 7] = 0; // a masked key before a query
        var q = Random(n * Hq * D, 51); var k = Random(n * Hkv * D, 52); var v = Random(n * Hkv * D, 53);
        // The full attention, with dOut only at the query rows: its dq there, dk and dv are what the query form must give.
        var dOut = new float[n * Hq * D];
        var dOutQ = Random(b * Hq * D, 54);
        for (int j = 0; j < b; j++) dOutQ.AsSpan(j * Hq * D, Hq * D).CopyTo(dOut.AsSpan((cu[j] + positions[j]) * Hq * D));
        var o = new float[q.Length]; var probs = new float[Attention.ProbsLength(cu, Hq)];
        var dq = new float[q.Length]; var dk = new float[k.Length]; var dv = new float[v.Length];
        var qq = new float[b * Hq * D];
        for (int j = 0; j < b; j++) q.AsSpan((cu[j] + positions[j]) * Hq * D, Hq * D).CopyTo(qq.AsSpan(j * Hq * D));
        var oq = new float[qq.Length]; var pq = new float[Attention.QueryProbsLength(positions, Hq)];
        var dqq = new float[qq.Length]; var dkq = new float[k.Length]; var dvq = new float[v.Length];
        fixed (float* op = o, pp = probs, qp = q, kp = k, vp = v, dop = dOut, dqp = dq, dkp = dk, dvp = dv)
        fixed (float* oqp = oq, pqp = pq, qqp = qq, doq = dOutQ, dqqp = dqq, dkqp = dkq, dvqp = dvq)
        {
            Attention.Forward(op, pp, qp, kp, vp, cu, mask, Hq, Hkv, D);
            Attention.Backward(dqp, dkp, dvp, dop, pp, qp, kp, vp, cu, Hq, Hkv, D);
            Attention.ForwardQueries(oqp, pqp, qqp, kp, vp, cu, positions, mask, Hq, Hkv, D);
            Attention.BackwardQueries(dqqp, dkqp, dvqp, doq, pqp, qqp, kp, vp, cu, positions, Hq, Hkv, D);
        }
        static void Close(float[] expected, float[] actual, string what)
        {
            Assert.Equal(expected.Length, actual.Length);
            for (int i = 0; i < expected.Length; i++)
                Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5f + 1e-4f * Math.Abs(expected[i]), $"{what}[{i}]: {expected[i]} vs {actual[i]}");
        }
        var expectedOut = new float[oq.Length]; var expectedDq = new float[dqq.Length];
        for (int j = 0; j < b; j++)
        {
            o.AsSpan((cu[j] + positions[j]) * Hq * D, Hq * D).CopyTo(expectedOut.AsSpan(j * Hq * D));
            dq.AsSpan((cu[j] + positions[j]) * Hq * D, Hq * D).CopyTo(expectedDq.AsSpan(j * Hq * D));
        }
        Close(expectedOut, oq, "out");
        Close(expectedDq, dqq, "dq");
        Close(dk, dkq, "dk");
        Close(dv, dvq, "dv");
        Assert.Contains(dk, x => x != 0); // keys after a query get nothing, the others do
        for (int r = cu[1] + positions[1] + 1; r < cu[2]; r++) Assert.All(dkq.AsSpan(r * Hkv * D, Hkv * D).ToArray(), x => Assert.Equal(0f, x));
    }

    [Fact]
    public void Bad_cu_seqlens_are_one_clear_error()
    {
        var x = new float[64 * Hq * D];
        static string Error(float[] x, int[] cu)
        {
            try
            {
                fixed (float* p = x) Attention.Forward(p, p, p, p, p, cu, [], Hq, Hkv, D);
            }
            catch (SpeechTokException e) { return e.Message; }
            return "no error";
        }
        Assert.Contains("must not decrease", Error(x, [0, 5, 3]));
        Assert.Contains("start with 0", Error(x, [1, 5]));
    }

    [Fact]
    public void Rope_position_ids_restart_per_sequence()
    {
        int[] lengths = [7, 3];
        int n = 10, heads = 2, d = 16;
        var (cos, sin) = Rope.Tables(Rope.InverseFrequencies(d, 10000, null), 8);
        var x = Random(n * heads * d, 41);
        var packed = (float[])x.Clone();
        int[] positions = [0, 1, 2, 3, 4, 5, 6, 0, 1, 2];
        fixed (float* p = packed) Rope.Forward(p, positions, heads, d, cos, sin);
        var first = x.AsSpan(0, 7 * heads * d).ToArray(); var second = x.AsSpan(7 * heads * d).ToArray();
        fixed (float* a = first, b = second) { Rope.Forward(a, 1, lengths[0], heads, d, cos, sin); Rope.Forward(b, 1, lengths[1], heads, d, cos, sin); }
        AssertBits([.. first, .. second], packed, "rotated rows");
        string message = "no error";
        try
        {
            fixed (float* p = packed) Rope.Forward(p, [9], heads, d, cos, sin);
        }
        catch (SpeechTokException e) { message = e.Message; }
        Assert.Contains("position 9 needed", message);
    }

    private static int[] Cu(int[] lengths)
    {
        var cu = new int[lengths.Length + 1];
        for (int i = 0; i < lengths.Length; i++) cu[i + 1] = cu[i] + lengths[i];
        return cu;
    }

    /// <summary>One sequence's rows run as a batch of one through the padded (b, t) entry points.</summary>
    private static (float[] O, float[] P, float[] Dq, float[] Dk, float[] Dv) Alone(float[] q, float[] k, float[] v, float[] dOut, int r0, int t, int[] mask)
    {
        var qs = q.AsSpan(r0 * Hq * D, t * Hq * D).ToArray(); var ks = k.AsSpan(r0 * Hkv * D, t * Hkv * D).ToArray();
        var vs = v.AsSpan(r0 * Hkv * D, t * Hkv * D).ToArray(); var ds = dOut.AsSpan(r0 * Hq * D, t * Hq * D).ToArray();
        var o = new float[qs.Length]; var p = new float[Hq * t * t];
        var dq = new float[qs.Length]; var dk = new float[ks.Length]; var dv = new float[vs.Length];
        fixed (float* op = o, pp = p, qp = qs, kp = ks, vp = vs, dop = ds, dqp = dq, dkp = dk, dvp = dv)
        {
            Attention.Forward(op, pp, qp, kp, vp, mask, 1, t, Hq, Hkv, D);
            Attention.Backward(dqp, dkp, dvp, dop, pp, qp, kp, vp, 1, t, Hq, Hkv, D);
        }
        return (o, p, dq, dk, dv);
    }
}
