namespace SpeechTok.Audio.Features;

/// <summary>
/// The MFCC baseline vector of METHOD §5 (MAMKit parse_audio_mfcc with librosa 0.9.1 defaults) at 16 kHz:
/// n_fft 2048, hop 512, zero-padded centred frames. Per frame, 44 columns in this order: spectral bandwidth
/// (1), roll-off 0.85 (1), spectral contrast (7), chroma_stft (12), MFCC c2..c24 (23) — the spectral centroid
/// the original computes first is dropped by its remove_energy. Frames are mean-pooled in blocks of 5 (the
/// last block zero-padded), then averaged over blocks. Formulas: docs/audio.md.
/// </summary>
public static class BaselineFeatures
{
    public const int Dim = 44, SampleRate = 16000, NFft = 2048, Hop = 512, NMels = 128, Block = 5;

    public static float[] Compute(ReadOnlySpan<float> wav16k)
    {
        var pooled = Pooled(wav16k);
        var outp = new double[Dim];
        for (int t = 0; t < pooled.Frames; t++)
        {
            var r = pooled.Row(t);
            for (int c = 0; c < Dim; c++) outp[c] += r[c];
        }
        return outp.Select(v => (float)(v / pooled.Frames)).ToArray();
    }

    /// <summary>
    /// The frames mean-pooled in blocks of 5 (skimage block_reduce, cval 0): the last, incomplete block is
    /// padded with zero frames, which count in its mean. This is the sequence the original's model sees.
    /// </summary>
    public static FrameMatrix Pooled(ReadOnlySpan<float> wav16k)
    {
        var frames = Frames(wav16k);
        int blocks = (frames.Frames + Block - 1) / Block;
        var o = new FrameMatrix(blocks, Dim);
        for (int t = 0; t < frames.Frames; t++)
        {
            var src = frames.Row(t);
            var dst = o.Row(t / Block);
            for (int c = 0; c < Dim; c++) dst[c] += src[c] / Block;
        }
        return o;
    }

    /// <summary>The per-frame 44-column matrix before pooling.</summary>
    public static FrameMatrix Frames(ReadOnlySpan<float> wav16k)
    {
        var mag = Stft.Spectrogram(wav16k, NFft, Hop, 1.0);
        var power = new FrameMatrix(mag.Frames, mag.Cols);
        for (int i = 0; i < mag.Data.Length; i++) power.Data[i] = mag.Data[i] * mag.Data[i];
        var freqs = Stft.BinFrequencies(SampleRate, NFft);

        var bw = new float[mag.Frames];
        var rolloff = new float[mag.Frames];
        for (int t = 0; t < mag.Frames; t++)
        {
            var (_, b) = CentroidBandwidth(mag.Row(t), freqs);
            bw[t] = (float)b;
            rolloff[t] = (float)Rolloff(mag.Row(t), freqs, 0.85);
        }
        var contrast = Contrast(mag, freqs);
        var chroma = Chroma(power, SampleRate, NFft);
        var mfcc = Mel.MfccFromPower(power, SampleRate, NFft, 25, NMels);

        var o = new FrameMatrix(mag.Frames, Dim);
        for (int t = 0; t < mag.Frames; t++)
        {
            var r = o.Row(t);
            r[0] = bw[t];
            r[1] = rolloff[t];
            contrast.Row(t).CopyTo(r[2..9]);
            chroma.Row(t).CopyTo(r[9..21]);
            mfcc.Row(t)[2..].CopyTo(r[21..44]);
        }
        return o;
    }

    /// <summary>Centroid Σf·p and bandwidth √(Σp·(f−centroid)²) with p = S/ΣS; a silent frame gives (0, 0).</summary>
    public static (double Centroid, double Bandwidth) CentroidBandwidth(ReadOnlySpan<float> s, double[] freqs)
    {
        double sum = 0;
        foreach (var v in s) sum += Math.Abs(v);
        if (sum < float.Epsilon) return (0, 0);
        double c = 0;
        for (int k = 0; k < s.Length; k++) c += freqs[k] * s[k] / sum;
        double b = 0;
        for (int k = 0; k < s.Length; k++) b += s[k] / sum * (freqs[k] - c) * (freqs[k] - c);
        return (c, Math.Sqrt(b));
    }

    /// <summary>Smallest bin frequency where the cumulative magnitude reaches <paramref name="percent"/> of the total.</summary>
    public static double Rolloff(ReadOnlySpan<float> s, double[] freqs, double percent)
    {
        double total = 0;
        foreach (var v in s) total += v;
        double threshold = percent * total, cum = 0;
        for (int k = 0; k < s.Length; k++)
        {
            cum += s[k];
            if (cum >= threshold) return freqs[k];
        }
        return freqs[^1];
    }

    /// <summary>
    /// librosa spectral_contrast (fmin 200, 6 bands + the top band, quantile 0.02): per octave band, the
    /// dB difference between the mean of the top and bottom max(1, round(0.02·n)) magnitudes.
    /// </summary>
    public static FrameMatrix Contrast(FrameMatrix mag, double[] freqs, double fmin = 200, int nBands = 6, double quantile = 0.02)
    {
        var octa = new double[nBands + 2];
        for (int i = 1; i < octa.Length; i++) octa[i] = fmin * Math.Pow(2, i - 1);
        var bands = new List<(int Lo, int Hi, int Count)>(); // rows [Lo, Hi) sorted; Count = size of the band mask
        for (int k = 0; k <= nBands; k++)
        {
            int first = -1, last = -1;
            for (int i = 0; i < freqs.Length; i++)
                if (freqs[i] >= octa[k] && freqs[i] <= octa[k + 1]) { if (first < 0) first = i; last = i; }
            if (first < 0) throw new SpeechTokException($"spectral contrast: band {k} ({octa[k]}–{octa[k + 1]} Hz) holds no FFT bin");
            if (k > 0) first--;                       // each band reaches down one bin
            if (k == nBands) last = freqs.Length - 1;  // the top band takes everything above
            int count = last - first + 1;
            int hi = k < nBands ? last : last + 1;     // all but the top band drop their last bin
            bands.Add((first, hi, count));
        }
        var peak = new FrameMatrix(mag.Frames, nBands + 1);
        var valley = new FrameMatrix(mag.Frames, nBands + 1);
        var buf = new float[freqs.Length];
        for (int t = 0; t < mag.Frames; t++)
        {
            var s = mag.Row(t);
            for (int b = 0; b <= nBands; b++)
            {
                var (lo, hi, count) = bands[b];
                var sub = buf.AsSpan(0, hi - lo);
                s[lo..hi].CopyTo(sub);
                sub.Sort();
                int q = Math.Max(1, (int)Math.Round(quantile * count, MidpointRounding.ToEven));
                double v = 0, p = 0;
                for (int i = 0; i < q; i++) { v += sub[i]; p += sub[sub.Length - 1 - i]; }
                valley.Row(t)[b] = (float)(v / q);
                peak.Row(t)[b] = (float)(p / q);
            }
        }
        // power_to_db(peak) − power_to_db(valley), each with its own top_db floor over the whole array.
        Mel.PowerToDb(peak.Data);
        Mel.PowerToDb(valley.Data);
        for (int i = 0; i < peak.Data.Length; i++) peak.Data[i] -= valley.Data[i];
        return peak;
    }

    /// <summary>librosa chroma_stft on a power spectrogram: tuning estimated (piptrack), chroma filterbank, per-frame max normalisation.</summary>
    public static FrameMatrix Chroma(FrameMatrix power, int sampleRate, int nFft, int nChroma = 12)
    {
        double tuning = EstimateTuning(power, sampleRate, nFft);
        var fb = ChromaFilterbank(sampleRate, nFft, tuning, nChroma);
        var o = new FrameMatrix(power.Frames, nChroma);
        for (int t = 0; t < power.Frames; t++)
        {
            var s = power.Row(t);
            var r = o.Row(t);
            double max = 0;
            for (int c = 0; c < nChroma; c++)
            {
                double acc = 0;
                for (int k = 0; k < s.Length; k++) acc += fb[c][k] * s[k];
                r[c] = (float)acc;
                max = Math.Max(max, Math.Abs(acc));
            }
            if (max >= float.Epsilon)
                for (int c = 0; c < nChroma; c++) r[c] = (float)(r[c] / max);
        }
        return o;
    }

    /// <summary>librosa.filters.chroma (ctroct 5, octwidth 2, L2-normalised columns, base C).</summary>
    public static double[][] ChromaFilterbank(int sampleRate, int nFft, double tuning, int nChroma = 12)
    {
        double a440 = 440 * Math.Pow(2, tuning / nChroma);
        var frq = new double[nFft];
        for (int i = 1; i < nFft; i++) frq[i] = nChroma * Math.Log2((double)i * sampleRate / nFft / (a440 / 16));
        frq[0] = frq[1] - 1.5 * nChroma;
        var width = new double[nFft];
        for (int i = 0; i < nFft - 1; i++) width[i] = Math.Max(frq[i + 1] - frq[i], 1.0);
        width[nFft - 1] = 1;
        int half = (int)Math.Round(nChroma / 2.0, MidpointRounding.ToEven);
        var w = new double[nChroma][];
        for (int c = 0; c < nChroma; c++) w[c] = new double[nFft / 2 + 1];
        for (int i = 0; i <= nFft / 2; i++)
        {
            var col = new double[nChroma];
            double norm = 0;
            for (int c = 0; c < nChroma; c++)
            {
                double d = frq[i] - c + half + 10.0 * nChroma;
                d = d - Math.Floor(d / nChroma) * nChroma - half;
                col[c] = Math.Exp(-0.5 * Math.Pow(2 * d / width[i], 2));
                norm += col[c] * col[c];
            }
            norm = Math.Sqrt(norm);
            double oct = Math.Exp(-0.5 * Math.Pow((frq[i] / nChroma - 5.0) / 2.0, 2));
            int roll = 3 * (nChroma / 12);
            for (int c = 0; c < nChroma; c++)
                w[c][i] = (norm < double.Epsilon ? col[(c + roll) % nChroma] : col[(c + roll) % nChroma] / norm) * oct;
        }
        return w;
    }

    /// <summary>
    /// librosa estimate_tuning: parabolic-interpolated spectral peaks (piptrack, 150–4000 Hz, threshold 0.1
    /// of the frame max) with magnitude ≥ their median; the most common deviation from the equal-tempered
    /// grid in a 0.01-semitone histogram on [−0.5, 0.5).
    /// </summary>
    public static double EstimateTuning(FrameMatrix s, int sampleRate, int nFft)
    {
        double fmin = 150, fmax = Math.Min(4000, sampleRate / 2.0);
        var freqs = Stft.BinFrequencies(sampleRate, nFft);
        var pitches = new List<double>();
        var mags = new List<double>();
        int nb = s.Cols;
        for (int t = 0; t < s.Frames; t++)
        {
            var col = s.Row(t);
            float max = 0;
            foreach (var v in col) max = Math.Max(max, v);
            float refv = 0.1f * max;
            for (int k = 0; k < nb; k++)
            {
                if (!(freqs[k] >= fmin && freqs[k] < fmax)) continue;
                float x = Gate(col, k, refv), left = k > 0 ? Gate(col, k - 1, refv) : x, right = k < nb - 1 ? Gate(col, k + 1, refv) : x;
                if (!(x > left && x >= right)) continue;
                double avg = 0, shift = 0;
                if (k > 0 && k < nb - 1)
                {
                    avg = 0.5 * (col[k + 1] - col[k - 1]);
                    double sh = 2.0 * col[k] - col[k + 1] - col[k - 1];
                    shift = avg / (sh + (Math.Abs(sh) < 1.1754943508222875e-38 ? 1 : 0));
                }
                double p = (k + shift) * sampleRate / nFft;
                if (p > 0) { pitches.Add(p); mags.Add(col[k] + 0.5 * avg * shift); }
            }
        }
        if (pitches.Count == 0) return 0;
        var sorted = mags.OrderBy(m => m).ToArray();
        int n = sorted.Length;
        double median = n % 2 == 1 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
        var counts = new int[100];
        for (int i = 0; i < pitches.Count; i++)
        {
            if (mags[i] < median) continue;
            double r = 12 * Math.Log2(pitches[i] / (440.0 / 16));
            r -= Math.Floor(r);
            if (r >= 0.5) r -= 1;
            int b = Math.Clamp((int)Math.Floor((r + 0.5) * 100), 0, 99);
            if (r < Edge(b)) b--;
            else if (b < 99 && r >= Edge(b + 1)) b++;
            counts[b]++;
        }
        int best = 0;
        for (int b = 1; b < 100; b++) if (counts[b] > counts[best]) best = b;
        return Edge(best);
        static double Edge(int i) => i == 100 ? 0.5 : -0.5 + i * 0.01;
    }

    // piptrack looks for local maxima of S·(S > threshold)
    private static float Gate(ReadOnlySpan<float> col, int k, float refv) => col[k] > refv ? col[k] : 0;
}
