namespace SpeechTok.Experiments.Report;

/// <summary>
/// Per-frame acoustics of one sample at the codec's frame rate in report units (from the audio step's
/// <see cref="Audio.Features.FrameDescriptors"/>):
/// F0 in Hz (any value on unvoiced frames), frame energy in dB, spectral centroid in Hz, and voicing.
/// </summary>
public sealed record FrameAcoustics(float[] F0Hz, float[] EnergyDb, float[] CentroidHz, bool[] Voiced)
{
    internal int Length => F0Hz.Length;
}
