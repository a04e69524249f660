namespace SpeechTok.Experiments.Report;

/// <summary>Acoustics of the frames where one selected token occurs (or of all frames); <see cref="Layer"/> is the 1-based RVQ layer.</summary>
public sealed record TokenStats(
    string Token, int Feature, int Layer, int Code, long Count, int Samples,
    double MeanF0Hz, double MeanEnergyDb, double MeanCentroidHz, double VoicedFraction,
    int? TopClass, double TopClassShare);
