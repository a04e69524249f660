namespace SpeechTok.Codec.Torch;

/// <summary>The persistent id of a torch storage: ('storage', torch.FloatStorage, key, location, numel).</summary>
internal sealed record StorageRef(string TypeName, string Key, long Numel);
