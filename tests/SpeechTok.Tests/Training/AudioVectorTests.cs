using System.Text;
using System.Text.Json.Nodes;
using SpeechTok.Audio;
using SpeechTok.Codec;
using SpeechTok.Lm.Model;
using SpeechTok.Evaluation;
using SpeechTok.IO;
using SpeechTok.Tests.Tensors;
using SpeechTok.Training;
using static SpeechTok.Tests.Lm.ModelTestData;

namespace SpeechTok.Tests.Training;

/// <summary>The audio-vector system (one projected utterance vector between the audio markers) and batch prediction.</summary>
public sealed class AudioVectorTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("audio-vector-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static FinetuneOptions Small(params int[] seeds) => new()
    {
        Lr = 1e-2, Epochs = 6, BatchSize = 8, LoraRank = 4, LoraAlpha = 8, Patience = 10, Seeds = seeds,
    };

    /// <summary>Label = a low (0) or high (1) tone under the same words: only the audio tells. <paramref name="toneInChannel1"/>:
    /// stereo clips, channel 0 the faint noise alone and channel 1 the tone as well, so only a reader that averages the channels hears the label.</summary>
    private string ToneDataset(int perSplit = 16, bool toneInChannel1 = false)
    {
        Directory.CreateDirectory(Path.Combine(_dir, "clips"));
        var csv = new StringBuilder("split,text,audio_path_list,label\n");
        var rng = new Random(2);
        foreach (var split in new[] { "train", "val", "test" })
            for (int i = 0; i < perSplit; i++)
            {
                int y = i % 2;
                double f = (y == 0 ? 180 : 700) * (1 + 0.1 * rng.NextDouble());
                float[] wav = new float[4000 + 800 * (i % 3)], noise = new float[wav.Length];
                for (int t = 0; t < wav.Length; t++)
                {
                    double e = 0.01 * (rng.NextDouble() - 0.5);
                    wav[t] = (float)(0.3 * Math.Sin(2 * Math.PI * f * t / 16000) + e);
                    noise[t] = (float)e;
                }
                string name = $"clips/{split}{i}.wav";
                if (toneInChannel1) Audio.StereoWav.Write(Path.Combine(_dir, name), noise, wav);
                else WavWriter.Write(Path.Combine(_dir, name), wav, 16000);
                csv.Append($"{split},the cat sat {(i % 3 == 0 ? "down" : "still")},{name},{y}\n");
            }
        var path = Path.Combine(_dir, "tones.csv");
        File.WriteAllText(path, csv.ToString());
        return path;
    }

    [Fact]
    public void Builtin_encoder_pools_mean_and_std_of_the_tokenizer_features()
    {
        var enc = UtteranceEncoders.Load("builtin");
        Assert.Equal(169, enc.Dim);
        var tone = Enumerable.Range(0, 16000).Select(t => (float)(0.3 * Math.Sin(2 * Math.PI * 200 * t / 16000))).ToArray();
        var v = enc.Encode(tone);
        Assert.Equal(enc.Dim, v.Length);
        Assert.All(v, x => Assert.True(float.IsFinite(x)));
        Assert.Equal(Math.Log(1.0), v[^1], 6); // log duration in seconds
        // A steady tone: the level hardly moves (small std) and log2 F0 ≈ log2 200.
        Assert.InRange(v[82], Math.Log2(200) - 0.05, Math.Log2(200) + 0.05); // mean of log2 F0 (feature 82)
        Assert.InRange(v[84 + 82], 0, 0.05); // … and its std
        Assert.InRange(v[83], 0.9, 1); // voiced share
        Assert.Contains("unknown audio encoder 'byol'", Assert.Throws<SpeechTokException>(() => UtteranceEncoders.Load("byol")).Message);
    }

    [Fact]
    public void Projection_gradients_match_finite_differences_through_the_model()
    {
        var c = Config();
        var w = Load(c, Weights(c, 8));
        using var m = SharpClassifier(w);
        const int slot = 6;
        var p = AudioProjection.Create(w, 5, slot, seed: 4);
        int[] ids = [1, 4, slot, 9, 7, 2, 1, 5, 3, slot, 0, 0]; // the slot at t = 2 and t = 3
        var vectors = new[] { GradCheck.Random(5, 1), GradCheck.Random(5, 2) };
        double Loss()
        {
            var inputs = p.Forward(ids, 2, 6, vectors);
            var (sum, ws, _) = m.CrossEntropyStep(ids, Mask, 2, 6, [2, 1], [], inputs: inputs);
            return sum / ws;
        }
        Array.Clear(p.WeightGrad); Array.Clear(p.BiasGrad);
        var over = p.Forward(ids, 2, 6, vectors);
        Assert.Equal([2, 9], over.Positions);
        m.CrossEntropyStep(ids, Mask, 2, 6, [2, 1], [], inputs: over);
        p.Backward(over);
        GradCheck.Check("audio_projection.weight", p.Weight, (float[])p.WeightGrad.Clone(), Loss, tol: 1e-2);
        GradCheck.Check("audio_projection.bias", p.Bias, (float[])p.BiasGrad.Clone(), Loss, tol: 1e-2);
        // A row whose slot was truncated away gets no vector.
        Assert.Equal([2], p.Forward([1, 4, slot, 9, 7, 2, 1, 5, 3, 8, 0, 0], 2, 6, vectors).Positions);
    }

    [Fact]
    public void Audio_vector_run_hears_the_tone_and_batch_predict_matches_evaluate()
    {
        var manifest = ToneDataset();
        string model = TinyLm.Train(Manifest.Load(manifest).Split("train").Select(s => s.Text).ToList(), Path.Combine(_dir, "lm"));
        string run = Path.Combine(_dir, "run");
        FinetuneRun.Run(new FinetuneSpec { Manifest = Manifest.Load(manifest), Model = model, Out = run, AudioEncoder = "builtin", Options = Small(1, 2) });
        var meta = RunFile.Load(Path.Combine(run, RunFile.FileName));
        Assert.Equal("audio-vector", meta.System);
        Assert.Equal("builtin-stats-v1", meta.AudioEncoder);
        Assert.Equal(169, meta.AudioVectorDim);
        Assert.Equal("audiovector", meta.Serialization);
        Assert.True(File.Exists(Path.Combine(FinetuneRun.SeedDir(run, 1), AudioProjection.FileName)));
        Assert.False(FinetuneRun.AdapterChanged(FinetuneRun.SeedDir(run, 1)));
        var e = RunEvaluation.Evaluate(run, "test");
        Assert.True(e.MacroF1 >= 0.9, $"audio-vector macro-F1 {e.MacroF1} on a task only the tone decides");

        string outPath = Path.Combine(_dir, "pred.jsonl");
        Assert.Equal(16, RunEvaluation.PredictSplit(run, Manifest.Load(manifest), "test", outPath));
        var rows = File.ReadAllLines(outPath).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        var yTrue = rows.Select(r => r["labels"]!.AsArray()[0]!.GetValue<int>()).ToList();
        var yPred = rows.Select(r => r["prediction"]!.GetValue<int>()).ToList();
        Assert.Equal(e.MacroF1Bagged!.Value, Metrics.MacroF1Present(yTrue, yPred), 12);
        Assert.Equal("test/3", rows[3]["key"]!.GetValue<string>());

        // The one-sample form with the clip gives that sample's bagged probabilities.
        var s = Manifest.Load(manifest).Split("test")[3];
        var one = RunEvaluation.Predict(run, s.Text, null, AudioLoader.LoadSample(s));
        var batch = rows[3]["probabilities"]!.AsArray().Select(v => v!.GetValue<double>()).ToArray();
        for (int c = 0; c < 2; c++) Assert.Equal(batch[c], one[c], 4);
        Assert.Contains("the run uses an audio vector; pass 'wav'", Assert.Throws<SpeechTokException>(() => RunEvaluation.Predict(run, "x", null)).Message);
        Assert.Equal(one, RunEvaluation.PredictFiles(run, s.Text, s.AudioPaths[0], null)); // from the file, as `predict --audio` reads it
        Assert.Contains("so --tokenizer is not used", Assert.Throws<SpeechTokException>(() => RunEvaluation.PredictFiles(run, s.Text, s.AudioPaths[0], _dir)).Message);

        // The projection is part of the adapter: replaced by another, evaluate recomputes instead of reusing the stored predictions.
        string proj = Path.Combine(FinetuneRun.SeedDir(run, 1), AudioProjection.FileName);
        File.Copy(Path.Combine(FinetuneRun.SeedDir(run, 2), AudioProjection.FileName), proj, overwrite: true);
        Assert.True(FinetuneRun.AdapterChanged(FinetuneRun.SeedDir(run, 1)));
    }

    /// <summary>
    /// finetune --audio-vector read channel 0 of a multi-channel clip, with no --mixdown as tokenize has, and predict read a
    /// clip as the codes' setting said (an audio-vector run has no codes: channel 0). Here only channel 1 carries the label.
    /// </summary>
    [Fact]
    public void Mixdown_is_recorded_in_run_json_and_predict_reads_the_clips_the_same_way()
    {
        var manifest = ToneDataset(perSplit: 8, toneInChannel1: true);
        string model = TinyLm.Train(Manifest.Load(manifest).Split("train").Select(s => s.Text).ToList(), Path.Combine(_dir, "lm"));
        string run = Path.Combine(_dir, "mixdown");
        var spec = new FinetuneSpec { Manifest = Manifest.Load(manifest), Model = model, Out = run, AudioEncoder = "builtin", Mixdown = true, Options = Small(1) with { Epochs = 1 } };
        FinetuneRun.Run(spec);
        Assert.True(RunFile.Load(Path.Combine(run, RunFile.FileName)).AudioMixdown);

        var s = Manifest.Load(manifest).Split("test")[1];
        var mixed = RunEvaluation.Predict(run, s.Text, null, AudioLoader.LoadSample(s, mixdown: true));
        Assert.NotEqual(mixed, RunEvaluation.Predict(run, s.Text, null, AudioLoader.LoadSample(s))); // channel 0 is another vector
        Assert.Equal(mixed, RunEvaluation.PredictFiles(run, s.Text, s.AudioPaths[0], null)); // `predict --audio`
        string outPath = Path.Combine(_dir, "mixdown.jsonl"); // `predict --manifest`, and evaluate's re-encoding, read the manifest's clips
        RunEvaluation.PredictSplit(run, Manifest.Load(manifest), "test", outPath);
        var batch = JsonNode.Parse(File.ReadAllLines(outPath)[1])!["probabilities"]!.AsArray().Select(v => v!.GetValue<double>()).ToArray();
        for (int c = 0; c < 2; c++) Assert.Equal(batch[c], mixed[c], 4);

        Assert.EndsWith("this run read its clips with --mixdown; rerun with the same setting to resume, or use another --out to start a new run",
            Assert.Throws<SpeechTokException>(() => FinetuneRun.Run(spec with { Mixdown = false })).Message);
        Assert.Equal("--mixdown is for --audio-vector, which reads the clips; --text-only reads none",
            Assert.Throws<SpeechTokException>(() => FinetuneRun.Run(spec with { AudioEncoder = null, TextOnly = true, Out = run + "-text" })).Message);
        Assert.False(Directory.Exists(run + "-text"));
    }

    /// <summary>The slot sits after the text: --max-length cut it, and the run trained on text alone with only the generic cut warning.</summary>
    [Fact]
    public void A_max_length_that_cuts_the_vector_slot_is_refused_when_every_sample_loses_it_and_warned_when_some_do()
    {
        var manifest = ToneDataset(perSplit: 8);
        File.WriteAllText(manifest, File.ReadAllText(manifest).Replace("sat down", "sat down on the mat")); // texts of two lengths
        string model = TinyLm.Train(Manifest.Load(manifest).Split("train").Select(s => s.Text).ToList(), Path.Combine(_dir, "lm"));
        var spec = new FinetuneSpec { Manifest = Manifest.Load(manifest), Model = model, Out = Path.Combine(_dir, "run"), AudioEncoder = "builtin", MaxLength = 5,
            Options = Small(1) with { Epochs = 1 } };
        var e = Assert.Throws<SpeechTokException>(() => FinetuneRun.Run(spec));
        var m = System.Text.RegularExpressions.Regex.Match(e.Message,
            @"^--max-length 5 cuts the <\|audio_vector\|> slot of all 8 train samples, so the run would read no utterance vector, only text; --max-length (\d+) keeps it in every sample$");
        Assert.True(m.Success, e.Message);
        Assert.False(Directory.Exists(spec.Out));
        // One token short: the longer texts lose their slot, the shorter keep it.
        int keeps = int.Parse(m.Groups[1].Value);
        var logs = new List<string>();
        FinetuneRun.Run(spec with { MaxLength = keeps - 1 }, logs.Add);
        Assert.Contains(logs, l => System.Text.RegularExpressions.Regex.IsMatch(l,
            $@"^warning: --max-length {keeps - 1} cuts the <\|audio_vector\|> slot of 3 of the 8 train samples \(e\.g\. train/0\), whose utterance vectors are then not read; --max-length {keeps} keeps it in every sample$"));
        logs.Clear();
        FinetuneRun.Run(spec with { MaxLength = keeps, Out = Path.Combine(_dir, "kept") }, logs.Add);
        Assert.DoesNotContain(logs, l => l.Contains("audio_vector", StringComparison.Ordinal));
        // Predicting longer texts, the run's max length cuts their slots: said (predict read the text alone silently).
        string longer = Path.Combine(Path.GetDirectoryName(manifest)!, "longer.csv");
        File.WriteAllText(longer, File.ReadAllText(manifest).Replace("sat down on the mat", "sat down on the mat by the door"));
        logs.Clear();
        RunEvaluation.PredictSplit(Path.Combine(_dir, "kept"), Manifest.Load(longer), "test", Path.Combine(_dir, "p.jsonl"), log: logs.Add);
        Assert.Contains(logs, l => System.Text.RegularExpressions.Regex.IsMatch(l,
            $@"^warning: the run's max_length {keeps} \(run\.json\) cuts the <\|audio_vector\|> slot of \d+ of the 8 test samples \(e\.g\. test/\d+\), whose utterance vectors are then not read; their predictions read the text only \(fine-tune with a max length of \d+ to keep every slot\)$"));
    }

    [Fact]
    public void Batch_predict_matches_evaluate_for_token_and_multi_label_runs()
    {
        using var d = new ToyData();
        string model = d.Model();
        string run = Path.Combine(d.Dir, "tokens");
        FinetuneRun.Run(new FinetuneSpec { Manifest = d.Parsed(), Codes = d.Codes, Selection = d.Selection, Model = model, Out = run, Options = Small(3, 4) with { Epochs = 2 } });
        var e = RunEvaluation.Evaluate(run, "test");
        string outPath = Path.Combine(d.Dir, "tokens.jsonl");
        RunEvaluation.PredictSplit(run, d.Parsed(), "test", outPath); // codes from the run's store
        var rows = File.ReadAllLines(outPath).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        Assert.Equal(e.MacroF1Bagged!.Value, Metrics.MacroF1Present(rows.Select(r => r["labels"]!.AsArray()[0]!.GetValue<int>()).ToList(),
            rows.Select(r => r["prediction"]!.GetValue<int>()).ToList()), 12);

        using var ml = new ToyData(multiLabel: true);
        string mlRun = Path.Combine(ml.Dir, "ml");
        FinetuneRun.Run(new FinetuneSpec { Manifest = ml.Parsed(), Model = ml.Model(), Out = mlRun, TextOnly = true, Options = Small(5, 6) with { Epochs = 2 } });
        var me = RunEvaluation.Evaluate(mlRun, "test");
        string mlOut = Path.Combine(ml.Dir, "ml.jsonl");
        RunEvaluation.PredictSplit(mlRun, ml.Parsed(), "test", mlOut);
        var mlRows = File.ReadAllLines(mlOut).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        int[] Set(JsonNode? n) => n!.AsArray().Select(v => v!.GetValue<int>()).ToArray();
        var scores = MultiLabelMetrics.Compute(mlRows.Select(r => Set(r["labels"])).ToList(), mlRows.Select(r => Set(r["predicted_labels"])).ToList(), 2);
        Assert.Equal(me.MacroF1Bagged!.Value, scores.MacroF1, 12);
        // A single-label manifest cannot be predicted with a multi-label run.
        Assert.Contains("multilabel", Assert.Throws<SpeechTokException>(() => RunEvaluation.PredictSplit(mlRun, d.Parsed(), "test", mlOut)).Message);
    }
}
