using SpeechTok.Selection;
using System.Text.Json.Nodes;
using SpeechTok.Audio;
using SpeechTok.Codec.Store;
using SpeechTok.Lm.Model;
using SpeechTok.Lm.Serialization;
using SpeechTok.Tensors;
using SpeechTok.Tensors.IO;

namespace SpeechTok.Training;

/// <summary>What a fine-tuning run is made of (the CLI's options).</summary>
public sealed record FinetuneSpec
{
    public required string Manifest { get; init; }
    public required string Model { get; init; }
    public required string Out { get; init; }
    public string? Codes { get; init; }
    public string? Selection { get; init; }
    /// <summary>Folder written by pretrain; null: fresh rows (--no-pretrain) or text only.</summary>
    public string? Pretrained { get; init; }
    public bool TextOnly { get; init; }
    /// <summary>The audio-vector system: the utterance encoder's name (<see cref="Codec.UtteranceEncoders"/>); null otherwise.</summary>
    public string? AudioEncoder { get; init; }
    /// <summary>Folder the clip paths are relative to (audio-vector runs read the clips); default the manifest's folder.</summary>
    public string? AudioRoot { get; init; }
    public string Serialization { get; init; } = "compact";
    public int MaxLength { get; init; } = 256;
    public int? NumLabels { get; init; }
    public string? System { get; init; }
    public FinetuneOptions Options { get; init; } = new();
}

/// <summary>
/// A fine-tuning run folder (docs/training.md): run.json, new_rows.safetensors, seed-S/{checkpoint/,
/// adapter_config.json, adapter_model.safetensors, curves.json, predictions-val.json, predictions-test.json,
/// done.json}; audio-vector runs add audio_vector_norm.safetensors and seed-S/audio_projection.safetensors.
/// Seeds already done are skipped on a rerun; an unfinished seed resumes from its checkpoint.
/// </summary>
public static class FinetuneRun
{
    public const string RunFile = "run.json", RowsFile = "new_rows.safetensors";
    public static string SeedDir(string run, int seed) => Path.Combine(run, $"seed-{seed}");

    public static void Run(FinetuneSpec spec, Action<string>? log = null, Action<long>? afterStep = null)
    {
        var manifest = Manifest.Load(spec.Manifest, spec.AudioRoot, spec.NumLabels);
        int k = spec.NumLabels ?? manifest.NumClasses;
        if (manifest.Task != TaskKind.Multilabel && k < 2) throw new SpeechTokException($"{spec.Manifest}: {k} class(es); classification needs at least 2");
        bool vector = spec.AudioEncoder != null;
        if (vector && (spec.TextOnly || spec.Selection != null)) throw new SpeechTokException("--audio-vector excludes --text-only and --selection (the audio is one vector, not tokens)");
        var selection = spec.TextOnly || vector ? null : SelectionFile.Load(spec.Selection ?? throw new SpeechTokException("--selection is required unless --text-only or --audio-vector"));
        using var lm = LanguageModel.Load(spec.Model, selection, vector);
        var mode = spec.TextOnly ? SerializationMode.TextOnly : vector ? SerializationMode.AudioVector : SampleSerializer.ParseMode(spec.Serialization);
        var serializer = new SampleSerializer(lm.Tokenizer, lm.Vocabulary, mode, spec.MaxLength);
        using var codes = serializer.NeedsCodes ? CodeStore.Open(spec.Codes ?? throw new SpeechTokException("--codes is required with selected audio tokens")) : null;
        var encoder = vector ? Codec.UtteranceEncoders.Load(spec.AudioEncoder!) : null;
        AudioVectors? norm = null;
        float[][]? raw = null;
        if (encoder != null)
        {
            manifest.RequireClips();
            raw = AudioVectors.Encode(manifest.Samples, encoder);
            norm = AudioVectors.Fit(manifest.Samples.Select((s, i) => (s, i)).Where(x => x.s.Split == "train").Select(x => raw[x.i]).ToList());
        }
        var sets = Manifest.SplitNames.ToDictionary(s => s, s => manifest.Samples.Any(x => x.Split == s)
            ? EncodedSet.Encode(s, manifest.Split(s), serializer, codes) with
            {
                Vectors = norm == null ? null : manifest.Samples.Select((x, i) => (x, i)).Where(p => p.x.Split == s).Select(p => norm.Normalize(raw![p.i])).ToArray(),
            }
            : null);
        var train = sets["train"] ?? throw new SpeechTokException($"{spec.Manifest}: split 'train' is empty");
        var val = sets["val"] ?? throw new SpeechTokException($"{spec.Manifest}: split 'val' is empty (model selection needs it)");

        Directory.CreateDirectory(spec.Out);
        Tensor? rows = null, head = null;
        if (spec.Pretrained != null) (rows, head) = Pretrainer.LoadRows(spec.Pretrained, lm);
        var system = spec.System ?? (spec.TextOnly ? "text-only-llm" : vector ? "audio-vector" : spec.Pretrained != null ? "audio-lasso" : "audio-lasso-no-pretrain");
        var runJson = new JsonObject
        {
            ["format"] = "speechtok-run", ["format_version"] = RunFiles.FormatVersion, ["system"] = system,
            ["manifest"] = Path.GetFullPath(spec.Manifest), ["task"] = ExperimentResults.TaskName(manifest.Task), ["num_labels"] = k,
            ["model"] = lm.Folder, ["codes"] = spec.Codes is null ? null : Path.GetFullPath(spec.Codes),
            ["codes_tokenizer"] = codes?.TokenizerIdentity, ["selection"] = selection?.ToJson(), ["pretrained"] = spec.Pretrained is null ? null : Path.GetFullPath(spec.Pretrained),
            ["text_only"] = spec.TextOnly, ["audio_encoder"] = encoder?.Identity, ["audio_vector_dim"] = encoder?.Dim, ["serialization"] = mode.ToString().ToLowerInvariant(), ["max_length"] = spec.MaxLength,
            ["tokenizer"] = lm.TokenizerJson(), ["hyperparameters"] = spec.Options.ToJson(manifest.Task),
            ["truncated"] = new JsonObject(sets.Where(kv => kv.Value != null).Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value!.Truncated))),
        };
        string runPath = Path.Combine(spec.Out, RunFile);
        if (File.Exists(runPath))
        {
            var old = RunFiles.ReadJson(runPath);
            foreach (var key in new[] { "manifest", "task", "num_labels", "model", "selection", "pretrained", "text_only", "audio_encoder", "serialization", "max_length", "hyperparameters" })
                if (!JsonNode.DeepEquals(old[key], runJson[key]))
                    throw new SpeechTokException($"{runPath}: '{key}' differs from this command's ({old[key]?.ToJsonString()} vs {runJson[key]?.ToJsonString()}); use another --out to start a new run");
        }
        RunFiles.WriteJson(runPath, runJson);
        norm?.Save(spec.Out);

        foreach (int seed in spec.Options.Seeds)
        {
            string dir = SeedDir(spec.Out, seed);
            if (File.Exists(Path.Combine(dir, "done.json"))) { log?.Invoke($"seed {seed}: done, skipped"); continue; }
            Directory.CreateDirectory(dir);
            var (embed, lmHead) = lm.AttachNewRows((ulong)seed, rows, head);
            var r = Finetuner.RunSeed(lm, manifest.Task, k, train, val, seed, spec.Options, dir, log, afterStep);
            // The run folder must reproduce predictions without the pre-training folder: keep the rows used.
            var saved = new List<(string, Tensor)> { ("embed_rows", embed) };
            if (lmHead != null) saved.Add(("lm_head_rows", lmHead));
            SafeTensors.Save(Path.Combine(dir, RowsFile), saved);
            RunFiles.WriteJson(Path.Combine(dir, "curves.json"), r.Curves);
            log?.Invoke($"seed {seed}: best val {ClassificationMetrics.SelectionName(manifest.Task)} {r.BestMetric:F4} at epoch {r.BestEpoch}");
            Finalise(lm, manifest.Task, k, sets, seed, spec.Options, dir);
        }
    }

    /// <summary>Writes the best adapter in PEFT format (and audio projection) and the predictions of every non-empty split, then done.json.</summary>
    private static void Finalise(LanguageModel lm, TaskKind task, int k, Dictionary<string, EncodedSet?> sets, int seed, FinetuneOptions o, string dir)
    {
        var state = Path.Combine(dir, Checkpoint.Folder);
        var lora = new LoraAdapters(lm.Config, o.LoraRank, o.LoraAlpha, o.LoraDropout, (ulong)seed);
        using var model = new LlamaForSequenceClassification(lm.Weights, k, lm.PadId, lora, null, (ulong)seed);
        var projection = Finetuner.NewProjection(lm, sets["train"]!, seed);
        // The best values live in the checkpoint ("best.*"); read them back so this step is also resumable.
        using (var st = SafeTensors.Open(Path.Combine(RunFiles.CompleteFolder(state)!, "tensors.safetensors")))
            foreach (var (name, t) in Peft.Tensors(lora, model.ScoreWeight, k).Concat(projection?.Trainables().Select(p => (p.Name, p.Tensor)) ?? []))
                st.Get("best." + name).CopyTo(0, t.Span);
        Peft.Save(dir, lora, model.ScoreWeight, k, lm.Folder);
        projection?.Save(dir);
        foreach (var (split, set) in sets)
            if (set != null) WritePredictions(Path.Combine(dir, $"predictions-{split}.json"), set, Finetuner.Predict(model, set, lm.PadId, task, o.BatchSize, projection));
        RunFiles.WriteJson(Path.Combine(dir, "done.json"), new JsonObject { ["seed"] = seed });
    }

    public static void WritePredictions(string path, EncodedSet set, float[][] probs) =>
        RunFiles.WriteJson(path, new JsonObject
        {
            ["split"] = set.Name, ["keys"] = new JsonArray(set.Keys.Select(x => (JsonNode)x).ToArray()),
            ["labels"] = new JsonArray(set.Labels.Select(l => (JsonNode)RunFiles.ToJson(l)).ToArray()),
            ["probabilities"] = RunFiles.ToJson(probs),
            ["predictions"] = RunFiles.ToJson(probs.Select(p => ClassificationMetrics.Argmax(p))),
        });

    public static (string[] Keys, int[][] Labels, float[][] Probs) ReadPredictions(string path)
    {
        var o = RunFiles.ReadJson(path);
        try
        {
            var keys = o["keys"]!.AsArray().Select(x => x!.GetValue<string>()).ToArray();
            var labels = o["labels"]!.AsArray().Select(x => x!.AsArray().Select(v => v!.GetValue<int>()).ToArray()).ToArray();
            var probs = o["probabilities"]!.AsArray().Select(x => x!.AsArray().Select(v => (float)v!.GetValue<double>()).ToArray()).ToArray();
            if (labels.Length != keys.Length || probs.Length != keys.Length) throw new SpeechTokException($"{path}: keys, labels and probabilities differ in length");
            return (keys, labels, probs);
        }
        catch (Exception e) when (e is InvalidOperationException or NullReferenceException or FormatException)
        {
            throw new SpeechTokException($"{path}: malformed predictions file ({e.Message})");
        }
    }
}
