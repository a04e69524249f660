namespace SpeechTok.Audio.Features;

/// <summary>In-place iterative radix-2 complex FFT (double precision; sizes are powers of two).</summary>
internal sealed class Fft
{
    private readonly int _n;
    private readonly double[] _cos, _sin;
    private readonly int[] _rev;

    public Fft(int n)
    {
        if (n < 2 || (n & (n - 1)) != 0) throw new ArgumentException($"FFT size {n} is not a power of two");
        _n = n;
        _cos = new double[n / 2];
        _sin = new double[n / 2];
        for (int i = 0; i < n / 2; i++)
        {
            _cos[i] = Math.Cos(2 * Math.PI * i / n);
            _sin[i] = -Math.Sin(2 * Math.PI * i / n);
        }
        _rev = new int[n];
        int bits = System.Numerics.BitOperations.Log2((uint)n);
        for (int i = 0; i < n; i++) _rev[i] = (int)(ReverseBits((uint)i) >> (32 - bits));
    }

    private static uint ReverseBits(uint v)
    {
        uint r = 0;
        for (int i = 0; i < 32; i++) { r = (r << 1) | (v & 1); v >>= 1; }
        return r;
    }

    public void Forward(Span<double> re, Span<double> im)
    {
        for (int i = 0; i < _n; i++)
        {
            int j = _rev[i];
            if (j > i) { (re[i], re[j]) = (re[j], re[i]); (im[i], im[j]) = (im[j], im[i]); }
        }
        for (int size = 2; size <= _n; size <<= 1)
        {
            int half = size / 2, step = _n / size;
            for (int start = 0; start < _n; start += size)
                for (int k = 0; k < half; k++)
                {
                    double wr = _cos[k * step], wi = _sin[k * step];
                    int a = start + k, b = a + half;
                    double tr = re[b] * wr - im[b] * wi, ti = re[b] * wi + im[b] * wr;
                    re[b] = re[a] - tr; im[b] = im[a] - ti;
                    re[a] += tr; im[a] += ti;
                }
        }
    }
}
