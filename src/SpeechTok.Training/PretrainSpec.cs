using SpeechTok.Audio;
using SpeechTok.Codec.Store;
using SpeechTok.Lm.Serialization;
using SpeechTok.Selection;

namespace SpeechTok.Training;

/// <summary>What a pre-training run is made of (the CLI's options; the manifest already parsed).</summary>
public sealed record PretrainSpec
{
    public required Manifest Manifest { get; init; }
    public required string Codes { get; init; }
    public required string Selection { get; init; }
    public required string Model { get; init; }
    public required string Out { get; init; }
    public SerializationMode Serialization { get; init; } = SampleSerializer.DefaultMode;
    public int MaxLength { get; init; } = SampleSerializer.DefaultMaxLength;
    public PretrainOptions Options { get; init; } = new();

    /// <summary>Pre-trains on every sample of the manifest (all splits) and writes rows.safetensors + pretrain.json.</summary>
    public PretrainResult Run(Action<string>? log = null, Action<long>? afterStep = null)
    {
        Options.Validate();
        if (Serialization == SerializationMode.TextOnly) throw new SpeechTokException("pre-training trains audio rows: --serialization text-only makes no sense here");
        var selection = SelectionFile.LoadTokens(Selection);
        using var lm = LanguageModel.Load(Model, selection);
        var serializer = lm.Serializer(Serialization, MaxLength);
        using var codes = CodeStore.Open(Codes);
        selection.RequireCodesOf(codes.TokenizerIdentity, codes.CodebookSize, codes.Directory);
        if (Manifest.Samples.Count == 0) throw new SpeechTokException($"{Manifest.Path}: no sample");
        var corpus = EncodedSet.Encode("all", Manifest.Samples, serializer, codes);
        RequireAudioKept(corpus, log);
        if (codes.UnverifiedWarning is { } unverified) log?.Invoke(unverified);
        var file = new PretrainFile
        {
            Model = ModelResolver.Reference(lm.Folder), BuiltinLmSha256 = ModelResolver.BuiltinSha256(ModelResolver.Reference(lm.Folder)), ModelStamp = ModelResolver.Stamp(ModelResolver.Reference(lm.Folder)), Selection = selection, Tokenizer = lm.Extension(), Hyperparameters = Options,
            RowsFile = Pretrainer.RowsFile, Curves = new PretrainCurves { TrainLoss = [], EvalLoss = [] },
            Manifest = Manifest.Path, ManifestSha256 = Manifest.Sha256, Codes = RunFiles.FullPath(Codes)!, CodesTokenizer = codes.TokenizerIdentity,
            CodesSha256 = codes.Fingerprint(Manifest.Samples.Select(s => s.Key)),
            Serialization = SampleSerializer.ModeName(Serialization), MaxLength = MaxLength, Truncated = corpus.Truncated,
        };
        string done = Path.Combine(Out, PretrainFile.FileName);
        if (File.Exists(done)) file.RequireSameRunAs(PretrainFile.Load(done), done);
        Directory.CreateDirectory(Out);
        log?.Invoke($"pre-training {lm.TrainableCount} rows on {corpus.Count} samples ({corpus.Truncated} truncated at {MaxLength})");
        var r = Pretrainer.Run(lm, corpus, Options, Out, log, afterStep, file);
        Pretrainer.Save(Out, lm, r, file with { BestEvalLoss = r.BestEvalLoss, BestStep = r.BestStep, Curves = r.Curves });
        return r;
    }

    /// <summary>
    /// Refuses a <see cref="MaxLength"/> that cuts every sample's audio tokens (only the markers would be trained) and
    /// warns, with the count, when it cuts those of some samples. Samples whose clip has no selected token are not counted.
    /// </summary>
    private void RequireAudioKept(EncodedSet corpus, Action<string>? log)
    {
        var first = corpus.FirstAudioTokens!;
        var withAudio = Enumerable.Range(0, corpus.Count).Where(i => first[i] >= 0).ToList();
        var cut = withAudio.Where(i => first[i] >= corpus.Ids[i].Length).ToList();
        if (cut.Count == 0) return;
        // 1-based positions of the first audio token: the --max-length that keeps one
        int lo = withAudio.Min(i => first[i]) + 1, hi = withAudio.Max(i => first[i]) + 1;
        if (cut.Count == withAudio.Count)
            throw new SpeechTokException($"--max-length {MaxLength} cuts every audio token: none of the {withAudio.Count} pre-training samples with audio keeps one, " +
                $"so the audio rows would not be trained; their first audio token is token {(lo == hi ? $"{lo}" : $"{lo} to {hi}")} " +
                $"(--max-length {lo} keeps one in {(lo == hi ? "every sample" : $"some sample, {hi} in every one")})");
        log?.Invoke($"warning: --max-length {MaxLength} cuts every audio token of {cut.Count} of the {withAudio.Count} pre-training samples with audio " +
            $"(e.g. {corpus.Keys[cut[0]]}), which then train only the markers; --max-length {hi} keeps one in every sample");
    }
}
