using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SpeechTok.Tensors;

/// <summary>
/// The unchecked GEMM engine, generic over the storage of B. Loop order (BLIS): jc over NC columns,
/// pc over KC depth (pack B once, shared by all threads), then MC×(part of NC) work units run in parallel,
/// each packing its own A block and sweeping NR-column × MR-row tiles with the micro-kernel.
/// </summary>
internal static unsafe class GemmDriver<TB> where TB : struct, IGemmElement
{
    public static void Run(GemmPlan plan, bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, nint lda, void* b, nint ldb, float beta, float* c, nint ldc, int threads)
    {
        if (m == 0 || n == 0) return;
        if (k == 0 || alpha == 0)
        {
            ScaleC(m, n, beta, c, ldc);
            return;
        }
        if (!plan.TakesSkinny(transA, transB, m, n))
            Packed(plan, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, threads);
        else if (plan.SkinnyWide)
            GemmSkinny<Lanes512, Vector512<float>>.Run<TB>(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, threads);
        else
            GemmSkinny<Lanes256, Vector256<float>>.Run<TB>(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, threads);
    }

    private static void ScaleC(int m, int n, float beta, float* c, nint ldc)
    {
        for (int i = 0; i < m; i++)
        {
            var row = new Span<float>(c + i * ldc, n);
            if (beta == 0) row.Clear(); // never read: C may hold NaN garbage
            else if (beta != 1) System.Numerics.Tensors.TensorPrimitives.Multiply(row, beta, row);
        }
    }

    private static void Packed(GemmPlan plan, bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, nint lda, void* b, nint ldb, float beta, float* c, nint ldc, int threads)
    {
        int MR = plan.MR, NR = plan.NR, KC = plan.KC, NC = plan.NC;
        // Row blocks: a multiple of the thread count so both cores get equal shares, each ≤ MC rows.
        int mBlocks = (m + plan.MC - 1) / plan.MC;
        if (threads > 1) mBlocks = (Math.Max(mBlocks, Math.Min(threads, (m + MR - 1) / MR)) + threads - 1) / threads * threads;
        int mcStep = ((m + mBlocks - 1) / mBlocks + MR - 1) / MR * MR;
        mBlocks = (m + mcStep - 1) / mcStep;
        // Steps are the (jc, pc) blocks in order. Step s+1's B block is packed into the other buffer by the
        // same parallel loop that computes step s: one fork/join per step, and packing fills idle tails.
        int jSteps = (n + NC - 1) / NC, kSteps = (k + KC - 1) / KC, steps = jSteps * kSteps;
        float** bufs = stackalloc float*[2];
        bufs[0] = plan.RentB();
        bufs[1] = steps > 1 ? plan.RentB() : null;
        try
        {
            PackStep(0, -1);
            for (int step = 0; step < steps; step++)
            {
                int jc = step / kSteps * NC, pc = step % kSteps * KC;
                int nc = Math.Min(NC, n - jc), panels = (nc + NR - 1) / NR, kc = Math.Min(KC, k - pc);
                float betaEff = pc == 0 ? beta : 1f;
                float* bp = bufs[step & 1];
                // Few row blocks (small m): also split the columns so every thread has work.
                int nParts = Math.Min(panels, Math.Max(1, (2 * threads + mBlocks - 1) / mBlocks));
                if (mBlocks >= threads && mBlocks % threads == 0) nParts = 1;
                int units = mBlocks * nParts, packUnits = step + 1 < steps ? 2 * threads : 0;
                WorkerPool.For(units + packUnits, threads, u =>
                {
                    if (u >= units)
                    {
                        PackStep(step + 1, u - units);
                        return;
                    }
                    int ic = u / nParts * mcStep, part = u % nParts;
                    int mc = Math.Min(mcStep, m - ic);
                    int q0 = (int)((long)panels * part / nParts), q1 = (int)((long)panels * (part + 1) / nParts);
                    float* ap = plan.RentA();
                    try
                    {
                        PackA(transA, a, lda, ic, mc, pc, kc, MR, ap);
                        Macro(plan, kc, mc, ap, q0, q1, nc, bp, c + ic * ldc + jc, ldc, alpha, betaEff);
                    }
                    finally { plan.ReturnA(ap); }
                });
            }
        }
        finally
        {
            plan.ReturnB(bufs[0]);
            if (bufs[1] != null) plan.ReturnB(bufs[1]);
        }

        // Packs part `part` of 2·threads (all of it when part < 0) of step s's B block into its buffer.
        void PackStep(int s, int part)
        {
            int jc = s / kSteps * NC, pc = s % kSteps * KC;
            int nc = Math.Min(NC, n - jc), panels = (nc + NR - 1) / NR, kc = Math.Min(KC, k - pc);
            int parts = 2 * threads;
            int q0 = part < 0 ? 0 : (int)((long)panels * part / parts), q1 = part < 0 ? panels : (int)((long)panels * (part + 1) / parts);
            if (part < 0 && threads > 1)
            {
                WorkerPool.For(parts, threads, p => PackStep(s, p));
                return;
            }
            float* bp = bufs[s & 1];
            for (int q = q0; q < q1; q++)
                PackB(transB, b, ldb, pc, kc, jc + q * NR, Math.Min(NR, nc - q * NR), NR, bp + (nint)q * kc * NR);
        }
    }

    /// <summary>Tiles of one packed A block × B panels [q0, q1); edge tiles go through a scratch tile.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot loops: no slow tier-0 phase
    private static void Macro(GemmPlan plan, int kc, int mc, float* ap, int q0, int q1, int nc, float* bp,
        float* c, nint ldc, float alpha, float beta)
    {
        int MR = plan.MR, NR = plan.NR;
        var kernel = plan.Kernel;
        float* tile = stackalloc float[MR * NR];
        for (int q = q0; q < q1; q++)
        {
            int j = q * NR, nr = Math.Min(NR, nc - j);
            float* bq = bp + (nint)q * kc * NR;
            for (int i = 0; i < mc; i += MR)
            {
                int mr = Math.Min(MR, mc - i);
                float* ai = ap + (nint)i * kc;
                float* ct = c + i * ldc + j;
                if (mr == MR && nr == NR)
                {
                    kernel(kc, ai, bq, ct, ldc, alpha, beta);
                    continue;
                }
                kernel(kc, ai, bq, tile, NR, 1f, 0f);
                for (int r = 0; r < mr; r++)
                    for (int s = 0; s < nr; s++)
                        ct[r * ldc + s] = alpha * tile[r * NR + s] + (beta == 0 ? 0f : beta * ct[r * ldc + s]);
            }
        }
    }

    /// <summary>op(A)[ic.., pc..] (mc×kc) → MR-row panels, p-major inside a panel, rows past m zeroed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot loops: no slow tier-0 phase
    private static void PackA(bool transA, float* a, nint lda, int ic, int mc, int pc, int kc, int MR, float* dst)
    {
        nint* rows = stackalloc nint[16];
        for (int i = 0; i < mc; i += MR, dst += (nint)MR * kc)
        {
            int mr = Math.Min(MR, mc - i);
            if (transA)
            {
                // op(A)(i, p) = a[p·lda + i]: each k step is a contiguous run of mr values.
                float* src = a + (nint)(pc) * lda + ic + i;
                for (int p = 0; p < kc; p++, src += lda)
                {
                    float* d = dst + p * MR;
                    new ReadOnlySpan<float>(src, mr).CopyTo(new Span<float>(d, mr));
                    for (int r = mr; r < MR; r++) d[r] = 0;
                }
            }
            else
            {
                int p = 0;
                if (Avx512F.IsSupported && MR <= 16)
                {
                    // 16×16 transposes straight into the panel; rows past mr repeat a real row (their lanes
                    // are discarded), and each 16-float store spills into the next k step, which is written after it.
                    for (int r = 0; r < 16; r++) rows[r] = (ic + i + Math.Min(r, mr - 1)) * lda + pc;
                    for (; p + 16 <= kc; p += 16) GemmTranspose.Block16<F32Element>(a, rows, p, dst + p * MR, MR);
                }
                for (int r = 0; r < MR; r++)
                {
                    float* src = a + (ic + i + r) * lda + pc;
                    float* d = dst + r;
                    if (r < mr) for (int q = p; q < kc; q++) d[q * MR] = src[q];
                    else for (int q = p; q < kc; q++) d[q * MR] = 0;
                }
            }
        }
    }

    /// <summary>op(B)[pc.., j0..j0+nr) (kc×nr) → one NR-column panel, p-major, columns past nr zeroed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot loops: no slow tier-0 phase
    private static void PackB(bool transB, void* b, nint ldb, int pc, int kc, int j0, int nr, int NR, float* dst)
    {
        if (!transB)
        {
            // op(B)(p, j) = b[p·ldb + j]: each k step is a contiguous run of nr values.
            for (int p = 0; p < kc; p++)
            {
                float* d = dst + p * NR;
                TB.Copy(b, (pc + p) * ldb + j0, d, nr);
                for (int s = nr; s < NR; s++) d[s] = 0;
            }
        }
        else
        {
            int s = 0;
            nint* rows = stackalloc nint[16];
            if (Avx512F.IsSupported)
                for (; s + 16 <= nr; s += 16)
                {
                    for (int t = 0; t < 16; t++) rows[t] = (j0 + s + t) * ldb + pc;
                    int p = 0;
                    for (; p + 16 <= kc; p += 16) GemmTranspose.Block16<TB>(b, rows, p, dst + p * NR + s, NR);
                    for (; p < kc; p++)
                        for (int t = 0; t < 16; t++) dst[p * NR + s + t] = TB.Get(b, rows[t] + p);
                }
            for (; s < nr; s++)
            {
                nint row = (j0 + s) * ldb + pc;
                for (int p = 0; p < kc; p++) dst[p * NR + s] = TB.Get(b, row + p);
            }
            // Columns past nr are zero so the edge tile's extra lanes add nothing.
            for (; s < NR; s++)
                for (int p = 0; p < kc; p++) dst[p * NR + s] = 0;
        }
    }
}
