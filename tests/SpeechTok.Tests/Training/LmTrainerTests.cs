using System.Text.Json.Nodes;
using SpeechTok.IO;
using SpeechTok.Lm.Model;
using SpeechTok.Lm.Tokenization;
using SpeechTok.Tensors;
using SpeechTok.Tensors.Optim;
using SpeechTok.Tests.Conformance;
using SpeechTok.Training;

namespace SpeechTok.Tests.Training;

public sealed class LmTrainerTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "speechtok-lm-" + Guid.NewGuid().ToString("N")[..8]);

    public LmTrainerTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, true);
    }

    private static string SotuSample => Path.Combine(FixtureRoot.RepoRoot, "tests", "data", "sotu-sample");

    private static readonly LmTrainOptions Tiny = new()
    {
        VocabSize = 300, Shape = new LlamaShape(32, 2, 2, 1, 64), SeqLen = 32, BatchSize = 4, GradAccum = 2, Lr = 1e-2, MinLr = 1e-3,
        WarmupSteps = 2, MaxSteps = 6, EvalEvery = 3, CheckpointEvery = 2, EvalBatchSize = 4, Seed = 5,
    };

    private LmTrainSpec Spec(string name, LmTrainOptions? o = null)
    {
        var (train, valid) = TextCorpus.SplitByYear(TextCorpus.Load([SotuSample]), 1900);
        return new LmTrainSpec { Train = train, Valid = valid, Out = Path.Combine(_dir, name), Options = o ?? Tiny, CommandLine = "test" };
    }

    /// <summary>A --vocab-size the text cannot fill gave a smaller vocabulary without a word (training_run.json kept the option's).</summary>
    [Fact]
    public void A_vocabulary_smaller_than_asked_is_reported()
    {
        var log = new List<string>();
        LmTrainer.Run(Spec("big-vocab", Tiny with { VocabSize = 1_000_000, MaxSteps = 2, EvalEvery = 2 }), log.Add);
        int vocab = LlamaConfig.Load(Path.Combine(_dir, "big-vocab")).VocabSize;
        Assert.InRange(vocab, 300, 999_999);
        Assert.Contains($"warning: no pair of symbols occurs twice any more in the training text: the vocabulary has {vocab} tokens, not --vocab-size 1000000", log);
        log.Clear();
        LmTrainer.Run(Spec("small-vocab", Tiny with { MaxSteps = 2, EvalEvery = 2 }), log.Add);
        Assert.DoesNotContain(log, l => l.StartsWith("warning: no pair", StringComparison.Ordinal));
    }

    private static byte[] Bytes(string dir, string file) => File.ReadAllBytes(Path.Combine(dir, file));

    private static List<string> MetricLines(string dir) =>
        File.ReadAllLines(Path.Combine(dir, LmTrainer.MetricsFile)).Select(l =>
        {
            var o = JsonNode.Parse(l)!.AsObject();
            o.Remove("seconds"); // wall time differs between runs
            return o.ToJsonString();
        }).ToList();

    [Fact]
    public void Corpus_split_by_year_and_bad_names()
    {
        var docs = TextCorpus.Load([SotuSample]);
        Assert.Equal(["1790_george_washington_n.txt", "1800_john_adams_f.txt", "1932_herbert_hoover_r.txt"], docs.Select(d => d.Name));
        var (train, valid) = TextCorpus.SplitByYear(docs, 1932);
        Assert.Equal(2, train.Count);
        Assert.Equal("1932_herbert_hoover_r.txt", Assert.Single(valid).Name);
        var odd = Path.Combine(_dir, "notes.txt");
        File.WriteAllText(odd, "x");
        var e = Assert.Throws<SpeechTokException>(() => TextCorpus.SplitByYear(TextCorpus.Load([odd]), 2000));
        Assert.Contains("notes.txt", e.Message);
        var bad = Path.Combine(_dir, "bad.txt");
        File.WriteAllBytes(bad, [0x61, 0xFF, 0x62]);
        Assert.Contains("bad.txt", Assert.Throws<SpeechTokException>(() => TextCorpus.Load([bad])).Message);
    }

    [Fact]
    public void Packing_puts_bos_and_eos_around_documents_and_windows_cover_each_target_once()
    {
        var tok = HfTokenizer.FromJson(BpeTrainer.TokenizerJson(BpeTrainer.LearnMerges(BpeTrainer.CountWords(["hello world, hello there"]), 270)).ToJsonString());
        int bos = tok.TokenToId(BpeTrainer.Bos)!.Value, eos = tok.TokenToId(BpeTrainer.Eos)!.Value;
        string[] docs = ["hello world", "héllo"];
        var p = PackedText.Encode(tok, docs, bos, eos);
        var expected = new List<int> { bos };
        expected.AddRange(tok.Encode(docs[0]));
        expected.Add(eos);
        expected.Add(bos);
        expected.AddRange(tok.Encode(docs[1]));
        expected.Add(eos);
        Assert.Equal(expected, p.Ids);
        Assert.Equal(p.Ids.Select(id => id != bos && id != eos), p.IsText);
        Assert.Equal(11 + 6, p.Bytes); // "é" is two bytes
        foreach (int t in new[] { 2, 3, 4, 7, p.Ids.Length, p.Ids.Length + 5 })
        {
            var targets = new int[p.Ids.Length];
            for (int k = 0; k < p.AllWindows(t); k++)
            {
                var (start, len) = p.Window(k, t).GetOffsetAndLength(p.Ids.Length);
                Assert.InRange(len, 2, t);
                for (int i = 1; i < len; i++) targets[start + i]++;
            }
            Assert.Equal(0, targets[0]);
            Assert.All(targets[1..], c => Assert.Equal(1, c));
            int full = Enumerable.Range(0, p.AllWindows(t)).Count(k => p.Window(k, t).End.Value - p.Window(k, t).Start.Value == t);
            Assert.Equal(full, p.FullWindows(t));
        }
    }

    [Fact]
    public void Cosine_schedule_warms_up_then_decays_to_the_minimum()
    {
        var s = new WarmupCosineSchedule(1.0, 0.1, 4, 14);
        Assert.Equal([0.25, 0.5, 0.75, 1.0], Enumerable.Range(0, 4).Select(i => s.LrAt(i)));
        Assert.Equal(1.0, s.LrAt(4), 12);
        Assert.Equal(0.55, s.LrAt(9), 12); // half-way: (1 + 0.1) / 2
        Assert.Equal(0.1, s.LrAt(14), 12);
        Assert.Equal(0.1, s.LrAt(100), 12);
    }

    [Fact]
    public void Bits_per_byte_is_the_summed_log_loss_of_the_text_tokens_over_bytes()
    {
        var o = Tiny with { MaxSteps = 1, WarmupSteps = 1 };
        var r = LmTrainer.Run(Spec("m", o));
        using var lm = CausalLmFolder.Open(r.Out);
        string[] docs = ["Fellow-Citizens: naïve café!", "The Congress — 2021."];
        var packed = lm.Pack(docs);
        const int t = 8;
        // Independently: the log-softmax (in double) of each window's logits at every text target.
        double nats = 0;
        long n = 0;
        int v = lm.Model.VocabSize;
        for (int k = 0; k < packed.AllWindows(t); k++)
        {
            var (start, len) = packed.Window(k, t).GetOffsetAndLength(packed.Ids.Length);
            var ids = packed.Ids.AsSpan(start, len).ToArray();
            var logits = lm.Model.Logits(ids, Enumerable.Repeat(1, len).ToArray(), 1, len);
            for (int i = 1; i < len; i++)
            {
                if (!packed.IsText[start + i]) continue;
                var row = logits.AsSpan((i - 1) * v, v);
                double max = double.NegativeInfinity, z = 0;
                foreach (var x in row) max = Math.Max(max, x);
                foreach (var x in row) z += Math.Exp(x - max);
                nats += max + Math.Log(z) - row[ids[i]];
                n++;
            }
        }
        long bytes = docs.Sum(d => System.Text.Encoding.UTF8.GetByteCount(d));
        Assert.Equal(n, docs.Sum(d => lm.Tokenizer.Encode(d).Length));
        foreach (int batch in new[] { 1, 3 })
        {
            var res = LmEvaluation.Evaluate(lm.Model, packed, t, batch);
            Assert.Equal(n, res.Tokens);
            Assert.Equal(bytes, res.Bytes);
            Assert.Equal(nats, res.Nats, 1e-3);
            Assert.Equal(nats / Math.Log(2) / bytes, res.BitsPerByte, 1e-5);
            Assert.Equal(Math.Exp(nats / n), res.Perplexity, 1e-3);
        }
    }

    [Fact]
    public void Same_seed_same_model_other_seed_other_model_and_training_lowers_held_out_loss()
    {
        var a = LmTrainer.Run(Spec("a"));
        var b = LmTrainer.Run(Spec("b"));
        var c = LmTrainer.Run(Spec("c", Tiny with { Seed = 6 }));
        Assert.Equal(Bytes(a.Out, "model.safetensors"), Bytes(b.Out, "model.safetensors"));
        Assert.Equal(Bytes(a.Out, "tokenizer.json"), Bytes(b.Out, "tokenizer.json"));
        Assert.Equal(MetricLines(a.Out), MetricLines(b.Out));
        Assert.NotEqual(Bytes(a.Out, "model.safetensors"), Bytes(c.Out, "model.safetensors"));
        var curve = ArtifactJson.ReadObject(Path.Combine(a.Out, LmTrainer.SummaryFile))["eval_curve"]!.AsArray();
        Assert.Equal([0L, 3L, 6L], curve.Select(e => e!["step"]!.GetValue<long>()));
        Assert.True(curve[2]!["loss"]!.GetValue<double>() < curve[0]!["loss"]!.GetValue<double>() - 0.1, curve.ToJsonString());
    }

    /// <summary>--max-grad-norm 0 was refused; as HF's, it turns clipping off: the run equals one whose threshold no norm reaches.</summary>
    [Fact]
    public void Max_grad_norm_0_turns_clipping_off()
    {
        var off = LmTrainer.Run(Spec("off", Tiny with { MaxGradNorm = 0 }));
        var huge = LmTrainer.Run(Spec("huge", Tiny with { MaxGradNorm = 1e300 }));
        var tight = LmTrainer.Run(Spec("tight", Tiny with { MaxGradNorm = 1e-3 }));
        Assert.Equal(Bytes(huge.Out, "model.safetensors"), Bytes(off.Out, "model.safetensors"));
        Assert.NotEqual(Bytes(tight.Out, "model.safetensors"), Bytes(off.Out, "model.safetensors")); // clipping acts in this run
    }

    [Fact]
    public void A_folder_that_is_not_its_own_run_is_refused_untouched_and_a_refused_run_leaves_nothing_behind()
    {
        // A model folder (here: the built-in model's files) without training_run.json would be overwritten.
        string model = Path.Combine(_dir, "model");
        Directory.CreateDirectory(model);
        foreach (var f in new[] { "config.json", "tokenizer.json" }) File.Copy(Path.Combine(BuiltinLm.Folder, f), Path.Combine(model, f));
        var before = Directory.GetFiles(model).Order().Select(f => File.ReadAllBytes(f)).ToList();
        var e = Assert.Throws<SpeechTokException>(() => LmTrainer.Run(Spec("model")));
        Assert.Contains("json but no training_run.json: lm train writes a new model into an empty or new folder", e.Message);
        Assert.Equal(before, Directory.GetFiles(model).Order().Select(f => File.ReadAllBytes(f)).ToList());

        // A corpus shorter than one window is refused before anything is written, so the corrected command runs there.
        var tooLong = Tiny with { SeqLen = 1 << 20 };
        var spec = Spec("short", tooLong);
        Assert.Contains("fewer than one window", Assert.Throws<SpeechTokException>(() => LmTrainer.Run(spec)).Message);
        Assert.False(Directory.Exists(spec.Out));
        Assert.True(File.Exists(Path.Combine(LmTrainer.Run(Spec("short")).Out, "model.safetensors")));
    }

    private sealed class Crash : Exception;

    [Fact]
    public void A_killed_run_resumed_by_the_same_command_ends_bit_identical()
    {
        var full = LmTrainer.Run(Spec("full"));
        // Killed after step 3: the last checkpoint is step 2, so step 3 is redone.
        var killed = new List<TrainingProgress>();
        Assert.Throws<Crash>(() => LmTrainer.Run(Spec("resumed"), progress: killed.Add, afterStep: s => { if (s == 3) throw new Crash(); }));
        Assert.Equal([1L, 2, 3], killed.Select(p => p.Step));
        var state = ArtifactJson.ReadObject(Path.Combine(_dir, "resumed", "checkpoint", "state.json"));
        Assert.Equal(2, state["step"]!.GetValue<long>());
        var resumedLog = new List<string>();
        var progress = new List<TrainingProgress>(); // counted from the checkpoint's step; reporting it changes no number (compared below)
        var resumed = LmTrainer.Run(Spec("resumed"), resumedLog.Add, progress.Add);
        Assert.Equal([3L, 4, 5, 6], progress.Select(p => p.Step));
        Assert.All(progress, p => Assert.Equal((null, 0, 0, 6L), (p.Seed, p.Epoch, p.Epochs, p.Steps)));
        Assert.Contains("resuming at step 2/6", resumedLog);
        Assert.Equal(6, resumed.Steps);
        Assert.Equal(Bytes(full.Out, "model.safetensors"), Bytes(resumed.Out, "model.safetensors"));
        Assert.Equal(Bytes(full.Out, "checkpoint/optimizer.safetensors"), Bytes(resumed.Out, "checkpoint/optimizer.safetensors"));
        Assert.Equal(MetricLines(full.Out), MetricLines(resumed.Out));
        Assert.Equal(full.HeldOut, resumed.HeldOut);

        // A finished run reruns to the same files, saying so (it said "resuming at step 6/6"); other settings are refused.
        var finished = new List<string>();
        Assert.Equal(full.HeldOut, LmTrainer.Run(Spec("resumed"), finished.Add).HeldOut);
        Assert.Contains("already finished at step 6/6: nothing left to train; the model is saved again", finished);
        Assert.DoesNotContain(finished, l => l.StartsWith("resuming", StringComparison.Ordinal));
        Assert.Equal(MetricLines(full.Out), MetricLines(resumed.Out));
        var e = Assert.Throws<SpeechTokException>(() => LmTrainer.Run(Spec("resumed", Tiny with { Lr = 2e-2 })));
        Assert.Contains("lr", e.Message);

        // The kernels are recorded, not compared: a run resumed on other ones continues, with a warning.
        string runPath = Path.Combine(resumed.Out, LmTrainer.RunFile);
        var recorded = ArtifactJson.Load<LmRun>(runPath, LmRun.Kind);
        Assert.Equal(KernelPath.Name, recorded.Kernels);
        ArtifactJson.Save(runPath, recorded with { Kernels = "other" }, LmRun.Kind);
        var log = new List<string>();
        Assert.Equal(full.HeldOut, LmTrainer.Run(Spec("resumed"), log.Add).HeldOut);
        Assert.Contains(log, l => l.StartsWith($"warning: {runPath}: the run began on other kernels and resumes on {KernelPath.Name}", StringComparison.Ordinal));
    }

    /// <summary>
    /// metrics.jsonl was read skipping every line that did not parse, then rewritten without it, so a damaged line in
    /// the middle was lost without a word (and a field of the wrong type threw a bare InvalidOperationException). Only a
    /// last line that a kill cut short (no newline, not JSON) is dropped now; any other is named by path and line.
    /// </summary>
    [Fact]
    public void Only_a_torn_last_metrics_line_is_dropped_on_resume_and_a_damaged_one_is_named()
    {
        var full = LmTrainer.Run(Spec("full"));
        Assert.Throws<Crash>(() => LmTrainer.Run(Spec("resumed"), afterStep: s => { if (s == 3) throw new Crash(); }));
        string path = Path.Combine(_dir, "resumed", LmTrainer.MetricsFile);
        string good = File.ReadAllText(path);
        var lines = good.Split('\n');
        Assert.StartsWith("{\"type\":\"train\",\"step\":1,", lines[2]);
        foreach (var bad in new[] { lines[2][..^7], lines[2].Replace("\"step\":1,", "\"step\":\"1\","), lines[2].Replace("\"train\"", "\"trian\"") })
        {
            string damaged = string.Join('\n', lines.Select((l, i) => i == 2 ? bad : l));
            File.WriteAllText(path, damaged);
            var e = Assert.Throws<SpeechTokException>(() => LmTrainer.Run(Spec("resumed")));
            Assert.Contains($"{path}:3: invalid metrics line", e.Message);
            Assert.Equal(damaged, File.ReadAllText(path)); // left as it was: nothing is lost
        }

        File.WriteAllText(path, good + lines[^2][..^9]); // a kill in the middle of writing a line: redone
        var resumed = LmTrainer.Run(Spec("resumed"));
        Assert.Equal(Bytes(full.Out, "model.safetensors"), Bytes(resumed.Out, "model.safetensors"));
        Assert.Equal(MetricLines(full.Out), MetricLines(resumed.Out));
    }

    /// <summary>
    /// A metrics.jsonl that lost whole lines (or the whole file) was kept as it was on resume, so the finished run's log and
    /// curves silently lacked those steps. The checkpoint records the evaluations logged (eval_steps); a resume now checks the
    /// kept lines cover the tokenizer line, every step's train line and those evaluations, and names the first one missing.
    /// </summary>
    [Fact]
    public void A_resume_whose_metrics_lost_lines_is_refused_naming_the_first_missing()
    {
        var full = LmTrainer.Run(Spec("full"));
        // Killed after step 5: the checkpoint is step 4, after the evaluations at steps 0 and 3.
        Assert.Throws<Crash>(() => LmTrainer.Run(Spec("resumed"), afterStep: s => { if (s == 5) throw new Crash(); }));
        string dir = Path.Combine(_dir, "resumed"), path = Path.Combine(dir, LmTrainer.MetricsFile);
        string statePath = Path.Combine(dir, Checkpoint.Folder, Checkpoint.StateFile);
        var state = ArtifactJson.ReadObject(statePath);
        Assert.Equal(4, state["step"]!.GetValue<long>());
        Assert.Equal("[0,3]", state["eval_steps"]!.ToJsonString());
        string good = File.ReadAllText(path);
        var lines = good.TrimEnd('\n').Split('\n');
        string Kind(string l) => $"{JsonNode.Parse(l)!["type"]} {JsonNode.Parse(l)!["step"]}";
        Assert.Equal(["tokenizer 0", "eval 0", "train 1", "train 2", "train 3", "eval 3", "train 4", "train 5"], lines.Select(Kind));

        void Refused(string? content, string missing)
        {
            if (content == null) File.Delete(path);
            else File.WriteAllText(path, content);
            var e = Assert.Throws<SpeechTokException>(() => LmTrainer.Run(Spec("resumed")));
            Assert.Contains(missing, e.Message);
            Assert.Contains($"yet the checkpoint ({statePath}) has done 4 step(s)", e.Message);
            Assert.Contains("train again into a new --out", e.Message);
            if (content == null) Assert.False(File.Exists(path));
            else Assert.Equal(content, File.ReadAllText(path)); // nothing changed
        }
        string Without(params int[] drop) => string.Concat(lines.Where((_, i) => !drop.Contains(i)).Select(l => l + "\n"));
        Refused(null, $"{path}: missing, so it has no tokenizer line (step 0)");
        Refused(Without(0), $"{path}: has no tokenizer line (step 0)");
        Refused(Without(1), $"{path}: has no evaluation line of step 0");
        Refused(Without(3, 4), $"{path}: has no train line of step 2");
        Refused(Without(5), $"{path}: has no evaluation line of step 3");
        Refused(Without(6, 7), $"{path}: has no train line of step 4");

        // A checkpoint written before eval_steps was recorded: only the evaluation before training is expected.
        state.Remove("eval_steps");
        File.WriteAllText(statePath, state.ToJsonString());
        Refused(Without(1), $"{path}: has no evaluation line of step 0");

        // Lines after the checkpoint are redone anyway, so losing them is no loss: the run resumes to the same log.
        File.WriteAllText(path, Without(7));
        var resumed = LmTrainer.Run(Spec("resumed"));
        Assert.Equal(Bytes(full.Out, "model.safetensors"), Bytes(resumed.Out, "model.safetensors"));
        Assert.Equal(MetricLines(full.Out), MetricLines(resumed.Out));
        Assert.Equal("[0,3,6]", ArtifactJson.ReadObject(statePath)["eval_steps"]!.ToJsonString());
    }

    /// <summary>
    /// --weight-decay reached no test. Two runs stopped after their first step (checkpointed), differing only in the decay:
    /// AdamW's decoupled decay separates their matrices by lr·wd·p0 (<see cref="WeightDecayTests.AssertDecoupledDecay"/>),
    /// lr being the first step's rate, half the peak in a 2-step warm-up; the 1-D norm weights, which take no decay, are
    /// bit-identical.
    /// </summary>
    [Fact]
    public void Weight_decay_shrinks_the_matrices_by_lr_wd_and_spares_the_norm_weights()
    {
        const double wd = 0.1;
        var outs = new[] { 0, wd }.Select(w =>
        {
            var spec = Spec($"wd-{w}", Tiny with { WeightDecay = w, CheckpointEvery = 1 });
            Assert.Throws<Crash>(() => LmTrainer.Run(spec, afterStep: s => { if (s == 1) throw new Crash(); }));
            return spec.Out;
        }).ToArray();
        var trained = File.ReadAllLines(Path.Combine(outs[1], LmTrainer.MetricsFile)).Select(l => JsonNode.Parse(l)!.AsObject())
            .Single(o => o["type"]!.GetValue<string>() == "train");
        double lr = trained["lr"]!.GetValue<double>();
        Assert.Equal(Tiny.Lr / 2, lr); // step 0 of a 2-step warm-up: peak·1/2 (nanoGPT's get_lr)

        var config = LlamaConfig.Parse(Tiny.Shape!.ConfigJson(300, 298, 299, Tiny.SeqLen).ToJsonString(), "tiny");
        var initial = LlamaShape.InitialWeights(config, Tiny.Seed, scaledResidual: true);
        using var a = SpeechTok.Tensors.IO.SafeTensors.Open(Path.Combine(outs[0], Checkpoint.Folder, Checkpoint.TensorsFile));
        using var b = SpeechTok.Tensors.IO.SafeTensors.Open(Path.Combine(outs[1], Checkpoint.Folder, Checkpoint.TensorsFile));
        Assert.Equal(initial.Keys.Order(StringComparer.Ordinal), a.Names.Order(StringComparer.Ordinal));
        int norms = 0;
        foreach (var (name, p0) in initial)
        {
            var (x, y) = (a.Get(name).ToArray(), b.Get(name).ToArray());
            if (p0.Rank == 1)
            {
                norms++;
                Assert.All(p0.ReadOnlySpan.ToArray(), v => Assert.Equal(1f, v)); // ones: a decay would show
                Assert.True(x.AsSpan().SequenceEqual(y), $"{name}: a norm weight changed with weight decay");
            }
            else WeightDecayTests.AssertDecoupledDecay(name, p0.ReadOnlySpan, x, y, lr * wd);
        }
        Assert.Equal(2 * 2 + 1, norms); // two per layer, and the final norm
    }

    /// <summary>A training_run.json whose options fail validation (edited by hand) was refused with the option's message
    /// alone, which reads as a bad command line; the message now starts with the file.</summary>
    [Fact]
    public void A_training_run_json_with_invalid_options_is_refused_naming_the_file()
    {
        var spec = Spec("edited", Tiny with { MaxSteps = 1, WarmupSteps = 1 });
        LmTrainer.Run(spec);
        string path = Path.Combine(spec.Out, LmTrainer.RunFile);
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        json["options"]!["eval_every"] = 0;
        File.WriteAllText(path, json.ToJsonString());
        var e = Assert.Throws<SpeechTokException>(() => LmTrainer.Run(spec));
        Assert.Equal($"{path}: --eval-steps 0 and --save-steps {Tiny.CheckpointEvery} must be positive", e.Message);
    }

    private static double EvalAt(string dir, long step) =>
        File.ReadAllLines(Path.Combine(dir, LmTrainer.MetricsFile)).Select(l => JsonNode.Parse(l)!.AsObject())
            .Single(o => o["type"]!.GetValue<string>() == "eval" && o["step"]!.GetValue<long>() == step)["bits_per_byte"]!.GetValue<double>();

    [Fact]
    public void Continued_pretraining_starts_from_the_model_keeps_its_tokenizer_and_resumes_bit_identical()
    {
        var first = LmTrainer.Run(Spec("first", Tiny with { MaxSteps = 2 }));
        var o = Tiny with { InitFrom = first.Out, VocabSize = null, Shape = null, MaxSteps = 4, Lr = 3e-3, Seed = 9 };
        var cont = LmTrainer.Run(Spec("cont", o));
        // Step 0 evaluates the starting weights: the first run's final number, to the last bit.
        Assert.Equal(first.HeldOut.BitsPerByte, EvalAt(cont.Out, 0));
        Assert.NotEqual(first.HeldOut.BitsPerByte, cont.HeldOut.BitsPerByte);
        Assert.Equal(Bytes(first.Out, "tokenizer.json"), Bytes(cont.Out, "tokenizer.json"));
        Assert.Equal(Bytes(first.Out, "config.json"), Bytes(cont.Out, "config.json"));
        Assert.NotEqual(Bytes(first.Out, "model.safetensors"), Bytes(cont.Out, "model.safetensors"));
        Assert.Equal(LmTrainer.ModelSha256(first.Out), ArtifactJson.ReadObject(Path.Combine(cont.Out, LmTrainer.RunFile))["init_sha256"]!.GetValue<string>());
        using (var lm = CausalLmFolder.Open(cont.Out)) Assert.Equal(300, lm.Model.VocabSize);

        // Killed after step 3 (checkpoint at 2), resumed: the same files.
        Assert.Throws<Crash>(() => LmTrainer.Run(Spec("cont2", o), afterStep: s => { if (s == 3) throw new Crash(); }));
        var resumed = LmTrainer.Run(Spec("cont2", o));
        Assert.Equal(Bytes(cont.Out, "model.safetensors"), Bytes(resumed.Out, "model.safetensors"));
        Assert.Equal(MetricLines(cont.Out), MetricLines(resumed.Out));

        // Another starting model, or a shape beside --init-from, is refused.
        var other = LmTrainer.Run(Spec("other", Tiny with { MaxSteps = 1, WarmupSteps = 1 }));
        Assert.Contains("init_sha256", Assert.Throws<SpeechTokException>(() => LmTrainer.Run(Spec("cont2", o with { InitFrom = other.Out }))).Message);
        Assert.Contains("--init-from", Assert.Throws<SpeechTokException>(() => LmTrainer.Run(Spec("bad", o with { Shape = Tiny.Shape }))).Message);
        // Refused before anything is written, so the corrected command then runs in the same folder.
        Assert.Contains("max_position_embeddings", Assert.Throws<SpeechTokException>(() => LmTrainer.Run(Spec("long", o with { SeqLen = 64 }))).Message);
        Assert.Equal(cont.HeldOut, LmTrainer.Run(Spec("long", o)).HeldOut);
        Assert.Contains("--init-from", Assert.Throws<SpeechTokException>(() => LmTrainer.Run(new LmTrainSpec
        {
            Train = Spec("x").Train, Valid = Spec("x").Valid, Out = first.Out, Options = o,
        })).Message);
    }

    [Fact]
    public void Continued_pretraining_of_an_untied_bf16_checkpoint_trains_lm_head_and_saves_f32()
    {
        string init = Path.Combine(_dir, "untied");
        Directory.CreateDirectory(init);
        string fixture = Path.Combine(FixtureRoot.Root, "llama-tiny-untied");
        // A 16-bit checkpoint's config, with the key recent transformers write (dtype) beside the older torch_dtype.
        var initConfig = ArtifactJson.ReadObject(Path.Combine(fixture, "config.json"));
        initConfig["torch_dtype"] = "bfloat16";
        initConfig["dtype"] = "bfloat16";
        File.WriteAllText(Path.Combine(init, "config.json"), initConfig.ToJsonString());
        File.WriteAllText(Path.Combine(init, "generation_config.json"), """{"bos_token_id": 1, "eos_token_id": [2, 3], "max_length": 256}""");
        File.Copy(Path.Combine(fixture, "model-bf16.safetensors"), Path.Combine(init, "model.safetensors"));
        var merges = BpeTrainer.LearnMerges(BpeTrainer.CountWords(TextCorpus.Load([SotuSample]).Select(d => d.Text)), 300);
        File.WriteAllText(Path.Combine(init, "tokenizer.json"), BpeTrainer.TokenizerJson(merges).ToJsonString());

        var r = LmTrainer.Run(Spec("cont", Tiny with { InitFrom = init, VocabSize = null, Shape = null, MaxSteps = 2 }));
        var config = ArtifactJson.ReadObject(Path.Combine(r.Out, "config.json"));
        Assert.False(config["tie_word_embeddings"]!.GetValue<bool>());
        Assert.Equal("float32", config["torch_dtype"]!.GetValue<string>());
        Assert.Equal("float32", config["dtype"]!.GetValue<string>());
        Assert.Equal(Bytes(init, "generation_config.json"), Bytes(r.Out, "generation_config.json"));
        Assert.Equal("llama3", config["rope_scaling"]!["rope_type"]!.GetValue<string>());
        using var before = SpeechTok.Tensors.IO.SafeTensors.Open(Path.Combine(init, "model.safetensors"));
        using var after = SpeechTok.Tensors.IO.SafeTensors.Open(Path.Combine(r.Out, "model.safetensors"));
        Assert.Equal(before.Names.Order(), after.Names.Order());
        Assert.All(after.Names, n => Assert.Equal("F32", after.DTypeOf(n)));
        Assert.NotEqual(before.Get("lm_head.weight").ToF32().ReadOnlySpan.ToArray(), after.Get("lm_head.weight").ReadOnlySpan.ToArray());
        Assert.True(r.HeldOut.BitsPerByte < EvalAt(r.Out, 0), "two steps lower the held-out loss");
    }

    [Fact]
    public void The_folder_loads_back_and_reproduces_the_training_evaluation()
    {
        var spec = Spec("hf");
        var r = LmTrainer.Run(spec);
        var config = ArtifactJson.ReadObject(Path.Combine(r.Out, "config.json"));
        Assert.Equal("LlamaForCausalLM", config["architectures"]![0]!.GetValue<string>());
        Assert.True(config["tie_word_embeddings"]!.GetValue<bool>());
        Assert.Equal(300, config["vocab_size"]!.GetValue<int>());
        Assert.Equal(298, config["bos_token_id"]!.GetValue<int>());
        Assert.Equal(299, config["eos_token_id"]!.GetValue<int>());
        using (var st = SpeechTok.Tensors.IO.SafeTensors.Open(Path.Combine(r.Out, "model.safetensors")))
        {
            Assert.Equal("pt", st.Metadata["format"]);
            Assert.False(st.Contains("lm_head.weight"));
            Assert.Equal("F32", st.DTypeOf("model.embed_tokens.weight"));
        }
        foreach (var f in new[] { "tokenizer.json", "tokenizer_config.json", "generation_config.json", "README.md", LmTrainer.SummaryFile })
            Assert.True(File.Exists(Path.Combine(r.Out, f)), f);

        // The training's held-out number is what `lm eval` computes from the saved folder.
        using var lm = CausalLmFolder.Open(r.Out);
        var again = LmEvaluation.Evaluate(lm.Model, lm.Pack(spec.Valid.Select(d => d.Text).ToList()), Tiny.SeqLen, Tiny.EvalBatchSize);
        Assert.Equal(r.HeldOut, again);
        // Another batch size scores the same tokens; the sum of their losses is grouped by batch, so only its last bits may differ.
        var single = LmEvaluation.Evaluate(lm.Model, lm.Pack(spec.Valid.Select(d => d.Text).ToList()), Tiny.SeqLen, 1);
        Assert.Equal((again.Tokens, again.Bytes), (single.Tokens, single.Bytes));
        Assert.Equal(again.MeanLoss, single.MeanLoss, 1e-12 * again.MeanLoss);
        var summary = ArtifactJson.ReadObject(Path.Combine(r.Out, LmTrainer.SummaryFile));
        Assert.Equal(r.HeldOut.BitsPerByte, summary["held_out"]!["bits_per_byte"]!.GetValue<double>());

        // The classification pipeline's loader reads it too (and appends its [PAD] row), with the same base logits.
        using var pipeline = LanguageModel.Load(r.Out, null);
        pipeline.AttachNewRows(1);
        using var model = new LlamaForCausalLm(pipeline.Weights);
        int[] ids = pipeline.Tokenizer.EncodeWithBos("Gentlemen of the Senate");
        var mask = Enumerable.Repeat(1, ids.Length).ToArray();
        var expected = lm.Model.Logits(ids, mask, 1, ids.Length);
        var got = model.Logits(ids, mask, 1, ids.Length);
        for (int i = 0; i < ids.Length; i++)
            Assert.Equal(expected.AsSpan(i * 300, 300).ToArray(), got.AsSpan(i * 301, 300).ToArray());
    }

    [Fact]
    public void Greedy_generation_follows_the_argmax_and_sampling_is_seeded()
    {
        var r = LmTrainer.Run(Spec("gen"));
        using var lm = CausalLmFolder.Open(r.Out);
        var greedy = LmGeneration.Generate(lm, "The", new GenerateOptions { MaxNewTokens = 5, Temperature = 0 });
        var ids = new List<int> { lm.BosId!.Value };
        lm.Tokenizer.EncodeTo("The", ids);
        foreach (int next in greedy)
        {
            var logits = lm.Model.Logits(ids.ToArray(), Enumerable.Repeat(1, ids.Count).ToArray(), 1, ids.Count).AsSpan((ids.Count - 1) * 300, 300).ToArray();
            Assert.Equal(Array.IndexOf(logits, logits.Max()), next);
            ids.Add(next);
        }
        Assert.Equal(greedy, LmGeneration.Generate(lm, "The", new GenerateOptions { MaxNewTokens = 5, Temperature = 1, TopK = 1 }));
        var s1 = LmGeneration.Generate(lm, "The", new GenerateOptions { MaxNewTokens = 20, Temperature = 1.5, TopK = 0, Seed = 1 });
        Assert.Equal(s1, LmGeneration.Generate(lm, "The", new GenerateOptions { MaxNewTokens = 20, Temperature = 1.5, TopK = 0, Seed = 1 }));
        Assert.NotEqual(s1, LmGeneration.Generate(lm, "The", new GenerateOptions { MaxNewTokens = 20, Temperature = 1.5, TopK = 0, Seed = 2 }));
    }

    /// <summary>A held-out file that is also trained on was accepted; an empty file failed late with "evaluation text has no token".</summary>
    [Fact]
    public void Cli_refuses_held_out_text_that_is_trained_on_and_empty_documents()
    {
        string hoover = Path.Combine(SotuSample, "1932_herbert_hoover_r.txt"), empty = Path.Combine(_dir, "empty.txt");
        File.WriteAllText(empty, "");
        string[] tiny = ["--vocab-size", "300", "--hidden", "32", "--layers", "1", "--heads", "2", "--kv-heads", "1", "--intermediate", "64", "--seq-len", "32", "--max-steps", "2"];
        var both = Cli(["lm", "train", "--train", SotuSample, "--valid", hoover, "--out", Path.Combine(_dir, "a"), .. tiny]);
        Assert.Equal(2, both.Code);
        Assert.Equal($"error: {hoover} is both a --train and a --valid document; hold out other text", both.Err.Trim());
        var blank = Cli(["lm", "train", "--train", SotuSample, "--valid", empty, "--out", Path.Combine(_dir, "b"), .. tiny]);
        Assert.Equal(2, blank.Code);
        Assert.Equal($"error: {empty}: the document is empty; remove it or give it text", blank.Err.Trim());
        Assert.False(Directory.Exists(Path.Combine(_dir, "a")) || Directory.Exists(Path.Combine(_dir, "b")));
    }

    /// <summary>A warm-up longer than the run was accepted: the learning rate never reached --lr (nor decayed).</summary>
    [Fact]
    public void A_warm_up_longer_than_the_run_is_refused_before_anything_is_written()
    {
        string message = "--warmup-steps 7 exceeds --max-steps 6 (given, or from --max-tokens): the learning rate would never reach --lr; give --warmup-steps of at most 6 (default 200)";
        Assert.Equal(message, Assert.Throws<SpeechTokException>(() => LmTrainer.Run(Spec("warm", Tiny with { WarmupSteps = 7, MaxSteps = 6 }))).Message);
        Assert.False(Directory.Exists(Path.Combine(_dir, "warm")));
        (Tiny with { WarmupSteps = 6, MaxSteps = 6 }).Validate(); // the peak at the last step: allowed

        string outDir = Path.Combine(_dir, "warm-cli");
        var cli = Cli("lm", "train", "--train", SotuSample, "--valid-from-year", "1900", "--out", outDir, "--max-steps", "50");
        Assert.Equal((2, ""), (cli.Code, cli.Out)); // the default warm-up (200) beside a short run
        Assert.Equal("error: --warmup-steps 200 exceeds --max-steps 50 (given, or from --max-tokens): the learning rate would never reach --lr; give --warmup-steps of at most 50 (default 200)", cli.Err.Trim());
        Assert.False(Directory.Exists(outDir));
    }

    /// <summary>--lr, --weight-decay and --max-grad-norm Infinity passed `!(x > 0)`-style checks and crashed (exit 134) writing
    /// training_run.json, which JSON cannot hold, leaving an empty --out.</summary>
    [Fact]
    public void Infinite_learning_rate_weight_decay_or_clipping_is_refused_before_anything_is_written()
    {
        double inf = double.PositiveInfinity;
        foreach (var (o, message) in new[]
                 {
                     (Tiny with { Lr = inf }, $"need 0 ≤ --min-lr ({Tiny.MinLr}) ≤ --lr (Infinity) and --lr a finite number > 0"),
                     (Tiny with { WeightDecay = inf }, "--weight-decay Infinity must be a finite number ≥ 0"),
                     (Tiny with { MaxGradNorm = inf }, "--max-grad-norm Infinity: must be a finite number ≥ 0 (0: no clipping)"),
                 })
        {
            var spec = Spec("inf", o);
            Assert.Equal(message, Assert.Throws<SpeechTokException>(() => LmTrainer.Run(spec)).Message);
            Assert.False(Directory.Exists(spec.Out));
        }
        string outDir = Path.Combine(_dir, "inf-cli");
        var cli = Cli("lm", "train", "--train", SotuSample, "--valid-from-year", "1900", "--out", outDir, "--max-grad-norm", "Infinity");
        Assert.Equal((2, "", "error: --max-grad-norm Infinity: must be a finite number ≥ 0 (0: no clipping)"), (cli.Code, cli.Out, cli.Err.Trim()));
        Assert.False(Directory.Exists(outDir));
    }

    /// <summary>
    /// --hidden 65536 crashed (exit 134) in the initial weights after training_run.json, tokenizer.json and metrics.jsonl were
    /// written, and --seq-len 30000 --batch-size 80000 overflowed `new int[b * t]`; the folder then refused the corrected command.
    /// A model too large for memory (here: for a 256 MB .NET heap) crashed the same way.
    /// </summary>
    [Fact]
    public void A_model_or_batch_too_large_to_allocate_is_refused_before_anything_is_written()
    {
        foreach (var (o, message) in new[]
                 {
                     (Tiny with { Shape = new LlamaShape(65536, 1, 2, 1, 64) }, "model shape: an attention projection, [65536, 65536], is 4,294,967,296 values, more than one buffer holds (2,147,483,591): lower --hidden"),
                     (Tiny with { VocabSize = 40_000, Shape = new LlamaShape(65536, 1, 2, 1, 64) }, "model shape: the embedding table, [40000, 65536], is 2,621,440,000 values, more than one buffer holds (2,147,483,591): lower --vocab-size or --hidden"),
                     (Tiny with { SeqLen = 30000, BatchSize = 80000 }, "--batch-size 80000 × --seq-len 30000 = 2,400,000,000 positions of 64 activations each is 153,600,000,000 values, more than one buffer holds (2,147,483,647): lower --batch-size or --seq-len"),
                     (Tiny with { EvalBatchSize = 2_000_000 }, "--eval-batch-size 2000000 × --seq-len 32 = 64,000,000 positions of 64 activations each is 4,096,000,000 values, more than one buffer holds (2,147,483,647): lower --eval-batch-size or --seq-len"),
                     (Tiny with { InitFrom = ModelResolver.Builtin, VocabSize = null, Shape = null, BatchSize = 100_000 }, "--batch-size 100000 × --seq-len 32 = 3,200,000 positions of 768 activations each is 2,457,600,000 values, more than one buffer holds (2,147,483,647): lower --batch-size or --seq-len"),
                 })
        {
            var spec = Spec("big", o);
            Assert.Equal(message, Assert.Throws<SpeechTokException>(() => LmTrainer.Run(spec)).Message);
            Assert.False(Directory.Exists(spec.Out));
        }

        string outDir = Path.Combine(_dir, "oom");
        string[] args = ["lm", "train", "--train", SotuSample, "--valid-from-year", "1900", "--out", outDir, "--vocab-size", "300", "--seq-len", "32", "--max-steps", "1", "--warmup-steps", "0", "--threads", "1"];
        var oom = CliRunner.RunWith(new Dictionary<string, string> { ["DOTNET_GCHeapHardLimit"] = "0x10000000" }, [.. args, "--hidden", "4096", "--intermediate", "8192"]);
        Assert.Equal((2, ""), (oom.Code, oom.Out));
        Assert.EndsWith("error: lm train: not enough memory for the model, its gradients and AdamW state and the activations of --batch-size 16 × --seq-len 32 (--eval-batch-size 8 for the held-out evaluation): "
            + "lower --batch-size, --seq-len or --eval-batch-size, or the model shape (--hidden, --layers, --intermediate, --vocab-size)", oom.Err.Trim());
        Assert.False(Directory.Exists(outDir));
        var corrected = Cli([.. args, "--hidden", "32", "--layers", "1", "--heads", "2", "--kv-heads", "1", "--intermediate", "64", "--batch-size", "2"]);
        Assert.True(corrected.Code == 0, corrected.Err);
    }

    /// <summary>--max-tokens 9223372036854775807 overflowed the ceiling division (t + tokens per step − 1) and trained 1 step.</summary>
    [Fact]
    public void Max_tokens_near_the_long_limit_is_too_many_steps_not_one()
    {
        var cli = Cli("lm", "train", "--train", SotuSample, "--valid-from-year", "1900", "--out", Path.Combine(_dir, "long"), "--max-tokens", long.MaxValue.ToString());
        // 16 windows of 256 tokens per step: ⌈(2⁶³ − 1) / 4096⌉ = 2⁵¹
        Assert.Equal((2, "", "error: --max-tokens 9223372036854775807 means 2251799813685248 steps, too many"), (cli.Code, cli.Out, cli.Err.Trim()));
        Assert.False(Directory.Exists(Path.Combine(_dir, "long")));
    }

    /// <summary>A --train/--valid folder's files other than *.txt (1791.TXT, 1793.text, subfolders) were left out in silence, and
    /// nothing said how many documents were loaded; lm eval left them out in silence too.</summary>
    [Fact]
    public void Folder_entries_that_are_not_documents_are_named_with_the_documents_loaded()
    {
        string corpus = Path.Combine(_dir, "corpus");
        Directory.CreateDirectory(Path.Combine(corpus, "drafts"));
        foreach (var f in Directory.GetFiles(SotuSample, "*.txt")) File.Copy(f, Path.Combine(corpus, Path.GetFileName(f)));
        File.WriteAllText(Path.Combine(corpus, "1791_george_washington_n.TXT"), "Fellow-Citizens.");
        File.WriteAllText(Path.Combine(corpus, "1793_george_washington_n.text"), "Fellow-Citizens.");
        File.WriteAllText(Path.Combine(corpus, "drafts", "1794_george_washington_n.txt"), "Fellow-Citizens.");
        var skipped = new List<string>();
        Assert.Equal(3, TextCorpus.Load([corpus], skipped).Count);
        Assert.Equal(["1791_george_washington_n.TXT", "1793_george_washington_n.text", "drafts"], skipped.Select(Path.GetFileName));
        Assert.Null(TextCorpus.SkippedNote([]));

        var train = Cli("lm", "train", "--train", corpus, "--valid-from-year", "1900", "--out", Path.Combine(_dir, "named"), "--vocab-size", "300", "--hidden", "32", "--layers", "1",
            "--heads", "2", "--kv-heads", "1", "--intermediate", "64", "--seq-len", "32", "--batch-size", "2", "--max-steps", "1", "--warmup-steps", "0", "--threads", "1");
        Assert.True(train.Code == 0, train.Err);
        Assert.Matches(@"^2 training documents \([\d,]+ bytes\), 1 held out \([\d,]+ bytes\); 3 folder entries skipped \(not \*\.txt files\): 1791_george_washington_n\.TXT, 1793_george_washington_n\.text, drafts/$",
            train.Err.Split('\n')[0]);

        var eval = Cli("lm", "eval", "--model", Path.Combine(_dir, "named"), "--text", corpus, "--json");
        Assert.True(eval.Code == 0, eval.Err);
        Assert.Equal("note: 3 folder entries skipped (not *.txt files): 1791_george_washington_n.TXT, 1793_george_washington_n.text, drafts/", eval.Err.Trim());
    }

    [Fact]
    public void Cli_trains_evaluates_and_generates()
    {
        string outDir = Path.Combine(_dir, "cli");
        var train = Cli("lm", "train", "--train", SotuSample, "--valid-from-year", "1900", "--out", outDir, "--vocab-size", "300", "--hidden", "32",
            "--layers", "2", "--heads", "2", "--kv-heads", "1", "--intermediate", "64", "--seq-len", "32", "--batch-size", "4", "--max-tokens", "500",
            "--warmup-steps", "2", "--eval-steps", "2", "--threads", "1");
        Assert.True(train.Code == 0, train.Err);
        Assert.Contains("step 4/4", train.Err); // ceil(500 / (4 · 32)) steps, logged as plain lines when redirected
        var trained = JsonNode.Parse(train.Out.Trim().Split('\n')[^1])!;
        Assert.Equal(4, trained["steps"]!.GetValue<long>());

        var eval = Cli("lm", "eval", "--model", outDir, "--text", Path.Combine(SotuSample, "1932_herbert_hoover_r.txt"), "--json", "--batch-size", "8");
        Assert.True(eval.Code == 0, eval.Err);
        var line = JsonNode.Parse(eval.Out.Trim().Split('\n')[^1])!;
        foreach (var key in new[] { "bits_per_byte", "perplexity", "tokens", "bytes" }) Assert.NotNull(line[key]);
        Assert.Equal(trained["bits_per_byte"]!.GetValue<double>(), line["bits_per_byte"]!.GetValue<double>());

        var gen = Cli("lm", "generate", "--model", outDir, "--prompt", "Fellow-Citizens", "--max-new-tokens", "8", "--temperature", "0");
        Assert.True(gen.Code == 0, gen.Err);
        Assert.StartsWith("Fellow-Citizens", gen.Out);
        var hot = Cli("lm", "generate", "--model", outDir, "--prompt", "Fellow-Citizens", "--temperature", "-1");
        Assert.Equal((2, ""), (hot.Code, hot.Out)); // refused before the prompt is printed
        Assert.Contains("--temperature -1 must be a finite number ≥ 0", hot.Err);

        var missing = Cli("lm", "eval", "--model", outDir, "--text", Path.Combine(_dir, "nope.txt"));
        Assert.Equal(2, missing.Code);
        Assert.Contains("nope.txt", missing.Err);

        // Settings not given come from generation_config.json, as transformers' generate takes them: do_sample false is
        // greedy, max_new_tokens the length (lm train wrote do_sample true, temperature 0.8, top_k 40, max_length 32).
        string generation = Path.Combine(outDir, "generation_config.json");
        File.WriteAllText(generation, """{"do_sample": false, "max_new_tokens": 8, "top_p": 0.9}""");
        var fromFile = Cli("lm", "generate", "--model", outDir, "--prompt", "Fellow-Citizens");
        Assert.Equal((0, gen.Out), (fromFile.Code, fromFile.Out));
        Assert.Equal($"warning: {generation}: top_p 0.9 is not applied (lm generate has temperature and top-k only)", fromFile.Err.Trim());
        File.WriteAllText(generation, """{"do_sample": true, "temperature": -0.5}""");
        var bad = Cli("lm", "generate", "--model", outDir, "--prompt", "Fellow-Citizens");
        Assert.Equal((2, "", $"error: {generation}: 'temperature' must be a finite number ≥ 0, got -0.5"), (bad.Code, bad.Out, bad.Err.Trim()));
    }

    [Theory]
    [InlineData(new long[] { 0, 5, 3 })]  // not ascending
    [InlineData(new long[] { 0, 0 })]     // twice
    [InlineData(new long[] { -1, 4 })]    // negative
    [InlineData(new long[] { 0, 11 })]    // past the checkpoint's step
    public void A_checkpoint_state_with_impossible_eval_steps_is_refused(long[] evalSteps)
    {
        var e = Assert.Throws<SpeechTokException>(() => new LmCheckpointState { Step = 10, EvalSteps = evalSteps }.Validate("state.json"));
        Assert.StartsWith("state.json: eval_steps must ascend within 0..10", e.Message);
        new LmCheckpointState { Step = 10, EvalSteps = [0, 5, 10] }.Validate("state.json");
    }

    private static (int Code, string Out, string Err) Cli(params string[] args) => CliRunner.Run(args);
}
