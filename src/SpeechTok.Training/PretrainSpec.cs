using SpeechTok.Audio;
using SpeechTok.Codec.Store;
using SpeechTok.Lm.Serialization;
using SpeechTok.Selection;
using SpeechTok.IO;

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
    /// <summary>How <see cref="MaxLength"/> is named in messages: the CLI's option, or the experiment preset's field.</summary>
    public string MaxLengthOption { get; init; } = SampleSerializer.MaxLengthOption;
    public PretrainOptions Options { get; init; } = new();

    /// <summary>
    /// Pre-trains on every sample of the manifest (all splits) and writes rows.safetensors + pretrain.json; <paramref name="progress"/>
    /// gets each step's epoch, step, loss, speed and ETA (<see cref="ProgressPrinter.Report"/> prints it).
    /// </summary>
    public PretrainResult Run(Action<string>? log = null, Action<long>? afterStep = null, Action<TrainingProgress>? progress = null)
    {
        string outDir = OutputPaths.RequireFolder(Out, "pretrain writes a folder (rows.safetensors, pretrain.json, checkpoint/)");
        // pretrain.json is written last; an unfinished run holds its checkpoint (or the halves AtomicFolder.Replace leaves) and perhaps the rows.
        OutputPaths.RequireNewOrOwnFolder(outDir, "pretrain", "pre-training folder", [PretrainFile.FileName],
            [Checkpoint.Folder, Checkpoint.Folder + ".new", Checkpoint.Folder + ".old", Pretrainer.RowsFile]);
        Options.Validate();
        SampleSerializer.CheckMaxLength(MaxLength, MaxLengthOption);
        if (Serialization == SerializationMode.TextOnly) throw new SpeechTokException("pre-training trains audio rows: --serialization text-only makes no sense here");
        var selection = SelectionFile.LoadTokens(Selection);
        using var lm = LanguageModel.Load(Model, selection);
        var serializer = lm.Serializer(Serialization, MaxLength, MaxLengthOption);
        using var codes = CodeStore.Open(Codes);
        selection.RequireCodesOf(codes.TokenizerIdentity, codes.CodebookSize, codes.NumQuantizers, codes.Directory);
        if (Manifest.Samples.Count == 0) throw new SpeechTokException($"{Manifest.Path}: no sample");
        var corpus = EncodedSet.Encode("pre-training", Manifest.Samples, serializer, codes);
        Pretrainer.RequireTrainable(lm, corpus, Options); // before the folder exists: Pretrainer.Run checks it only after
        corpus.RequireAudioKept(MaxLengthOption, MaxLength, log);
        if (codes.UnverifiedWarning is { } unverified) log?.Invoke(unverified);
        var file = new PretrainFile
        {
            Model = ModelResolver.Reference(lm.Folder), BuiltinLmSha256 = ModelResolver.BuiltinSha256(ModelResolver.Reference(lm.Folder)), ModelStamp = ModelResolver.Stamp(ModelResolver.Reference(lm.Folder)), Selection = selection, Tokenizer = lm.Extension(), Hyperparameters = Options,
            RowsFile = Pretrainer.RowsFile, Curves = new PretrainCurves { TrainLoss = [], EvalLoss = [] },
            Manifest = Manifest.Path, ManifestSha256 = Manifest.Sha256, Codes = InputPaths.FullPath(Codes)!, CodesTokenizer = codes.TokenizerIdentity,
            CodesSha256 = codes.Fingerprint(Manifest.Samples.Select(s => s.Key)),
            Serialization = SampleSerializer.ModeName(Serialization), MaxLength = MaxLength, Truncated = corpus.Truncated,
        };
        string done = Path.Combine(Out, PretrainFile.FileName);
        if (File.Exists(done)) file.RequireSameRunAs(PretrainFile.Load(done), done);
        using var writing = FolderLock.Acquire(Out, "pretrain");
        log?.Invoke($"pre-training {lm.TrainableCount} rows on {corpus.Count} samples ({corpus.Truncated} truncated at {MaxLength})");
        var r = Pretrainer.Run(lm, corpus, Options, Out, log, afterStep, file, progress);
        Pretrainer.Save(Out, lm, r, file with { BestEvalLoss = r.BestEvalLoss, BestStep = r.BestStep, Curves = r.Curves });
        return r;
    }
}
