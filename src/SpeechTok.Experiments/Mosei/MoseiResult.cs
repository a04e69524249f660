namespace SpeechTok.Experiments.Mosei;

/// <summary>What <see cref="MoseiConverter.Convert"/> wrote.</summary>
/// <param name="Samples">Samples per split (train, val, test).</param>
/// <param name="ClipsCut">Clips cut by this call (clips already present are kept).</param>
/// <param name="NotInFolds">Segments left out because their video is in no fold.</param>
/// <param name="Neutral">SENT with <see cref="MoseiOptions.ExcludeNeutral"/>: segments dropped for a sentiment of 0.</param>
public sealed record MoseiResult(string ManifestPath, IReadOnlyDictionary<string, int> Samples, int ClipsCut, int NotInFolds, int Neutral);
