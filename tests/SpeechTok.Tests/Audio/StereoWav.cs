namespace SpeechTok.Tests.Audio;

/// <summary>
/// Two-channel float32 16 kHz clips for the <c>--mixdown</c> tests: a class heard only in channel 1 tells a step that
/// averaged the channels from one that took channel 0.
/// </summary>
internal static class StereoWav
{
    public static void Write(string path, float[] channel0, float[] channel1)
    {
        if (channel0.Length != channel1.Length) throw new ArgumentException("the channels differ in length");
        var data = new byte[channel0.Length * 2 * 4];
        for (int t = 0; t < channel0.Length; t++)
        {
            BitConverter.TryWriteBytes(data.AsSpan(8 * t), channel0[t]);
            BitConverter.TryWriteBytes(data.AsSpan(8 * t + 4), channel1[t]);
        }
        File.WriteAllBytes(path, Fuzz.WavFuzzTests.Wav(3, 2, 16000, 32, data));
    }
}
