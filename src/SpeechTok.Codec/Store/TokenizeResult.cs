namespace SpeechTok.Codec.Store;

public sealed record TokenizeResult(int Total, int Skipped, int Encoded, long TornTailBytes, int DamagedRecords);
