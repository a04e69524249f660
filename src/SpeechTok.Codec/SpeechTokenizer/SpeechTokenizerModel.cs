using SpeechTok.IO;

namespace SpeechTok.Codec.SpeechTokenizer;

/// <summary>
/// The SpeechTokenizer encoder + residual VQ (ZhangXInFD/SpeechTokenizer), loaded from a folder holding
/// <c>config.json</c> and the checkpoint (<c>model.safetensors</c>, <c>model.pt</c>, or a single other <c>*.pt</c>
/// such as the released <c>SpeechTokenizer.pt</c>). Only encoder.* and the codebooks are read.
/// </summary>
public sealed class SpeechTokenizerModel : ISpeechTokenizer
{
    private readonly SeanetEncoder _encoder;
    private readonly ResidualVq _rvq;

    private SpeechTokenizerModel(SpeechTokenizerConfig cfg, SeanetEncoder encoder, ResidualVq rvq)
    {
        SampleRate = cfg.SampleRate;
        HopLength = cfg.HopLength;
        NumQuantizers = cfg.NQ;
        CodebookSize = cfg.CodebookSize;
        Dimension = cfg.Dimension;
        _encoder = encoder;
        _rvq = rvq;
    }

    public int SampleRate { get; }
    public int HopLength { get; }
    public int NumQuantizers { get; }
    public int CodebookSize { get; }
    public int Dimension { get; }

    /// <param name="folder">folder with config.json and the checkpoint</param>
    /// <param name="checkpoint">a checkpoint file to use instead of the one found in the folder</param>
    public static SpeechTokenizerModel Load(string folder, string? checkpoint = null)
    {
        folder = InputPaths.RequireFolder(folder, "tokenizer folder");
        var cfg = SpeechTokenizerConfig.Load(Path.Combine(folder, "config.json"));
        using var w = CheckpointWeights.Open(checkpoint ?? FindCheckpoint(folder));
        var model = new SpeechTokenizerModel(cfg, new SeanetEncoder(cfg, w), new ResidualVq(cfg, w));
        // As the original's strict load_state_dict: an encoder tensor the config leaves unread means the config describes
        // another model (lstm_layers, true_skip, activation, n_residual_layers…), whose codes would silently differ.
        // decoder.* and transform.* do not affect the codes; the codebooks' training state is not read.
        var unread = w.Names.Where(n => n.StartsWith("encoder.", StringComparison.Ordinal) && !w.WasRead(n)).Order(StringComparer.Ordinal).ToList();
        if (unread.Count > 0)
            throw new SpeechTokException($"{w.Path}: {unread.Count} encoder tensor(s) that {Path.Combine(folder, "config.json")} does not use, e.g. '{unread[0]}': "
                + "its lstm_layers, activation or residual settings do not describe this checkpoint");
        return model;
    }

    /// <summary>A model with the architecture of <paramref name="configPath"/> and seeded random weights (for benchmarks).</summary>
    public static SpeechTokenizerModel CreateRandom(string configPath, int seed)
    {
        var cfg = SpeechTokenizerConfig.Load(configPath);
        using var w = CheckpointWeights.Random(seed);
        return new SpeechTokenizerModel(cfg, new SeanetEncoder(cfg, w), new ResidualVq(cfg, w));
    }

    private static string FindCheckpoint(string folder)
    {
        foreach (var name in new[] { "model.safetensors", "model.pt" })
            if (File.Exists(Path.Combine(folder, name))) return Path.Combine(folder, name);
        var pts = Directory.GetFiles(folder, "*.pt");
        return pts.Length == 1 ? pts[0]
            : throw new SpeechTokException($"tokenizer folder '{folder}' has no model.safetensors or model.pt{(pts.Length > 1 ? " and several *.pt files" : "")}");
    }

    /// <summary>codes[q][t] for one 16 kHz mono clip (samples in [-1, 1)); T = ceil(samples / hop).</summary>
    public int[][] Encode(ReadOnlySpan<float> wav) => EncodeBatch([wav.ToArray()])[0];

    /// <summary>codes[item][q][t]; clips of equal length share the LSTM and every clip shares the RVQ GEMMs.</summary>
    public int[][][] EncodeBatch(IReadOnlyList<float[]> wavs) => _rvq.Encode(Features(wavs));

    /// <summary>Encoder output per clip, [Dimension, T] row-major.</summary>
    internal Signal[] Features(IReadOnlyList<float[]> wavs)
    {
        for (int i = 0; i < wavs.Count; i++)
            if (wavs[i].Length == 0) throw new SpeechTokException($"clip {i} is empty; SpeechTokenizer needs at least one sample");
        return _encoder.Forward(wavs);
    }
}
