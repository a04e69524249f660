using SpeechTok.Lm.Model;
using SpeechTok.Tensors;
using SpeechTok.Tensors.IO;
using SpeechTok.Tensors.Ops;
using SpeechTok.Tests.Conformance;
using SpeechTok.Training;

namespace SpeechTok.Tests.Training;

/// <summary>
/// <c>lm eval</c>, <c>lm generate</c> and <c>lm train --init-from</c> on model folders users bring, and what they must
/// refuse (found by a new-user trial: each used to give a number, a garbled line or a stack trace).
/// </summary>
public sealed class CausalLmFolderTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "speechtok-causal-" + Guid.NewGuid().ToString("N")[..8]);

    public CausalLmFolderTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, true);
    }

    private static string Tokenizer(string name) => TokenizerDifferentialTests.FilePath(name); // says to run setup.sh when missing
    private static string Llama3Tokenizer => TokenizerDifferentialTests.FilePath("llama3");
    private static (int Code, string Out, string Err) Cli(params string[] args) => CliRunner.Run(args);

    private string Text(string content)
    {
        string path = Path.Combine(_dir, Guid.NewGuid().ToString("N")[..6] + ".txt");
        File.WriteAllText(path, content);
        return path;
    }

    /// <summary>Rewrites one tensor of the folder's model.safetensors.</summary>
    private static void EditTensor(string folder, string name, Action<Span<float>, int[]> edit) =>
        SafeTensorsEdit.Rewrite(Path.Combine(folder, SafeTensors.ModelFileName), (n, w, shape) =>
        {
            if (n == name) edit(w, shape);
        });

    /// <summary>SentencePiece (Metaspace) decoders drop the leading space of what they decode first; the continuation decoded
    /// alone lost the space between the prompt and the first new word.</summary>
    [Fact]
    public void Generate_prints_the_continuation_as_decoded_after_the_prompt()
    {
        string model = FamilyCheckpoint.Write(Path.Combine(_dir, "tinyllama"), "TinyLlama-1.1B", Tokenizer("llama2"), seed: 1); // its first new token is ▁Lion
        const string prompt = "Hello world";
        var gen = Cli("lm", "generate", "--model", model, "--prompt", prompt, "--max-new-tokens", "6", "--temperature", "0");
        Assert.True(gen.Code == 0, gen.Err);
        using var lm = CausalLmFolder.Open(model);
        var ids = new List<int>();
        lm.Tokenizer.EncodeTo(prompt, ids);
        Assert.Equal(prompt, lm.Tokenizer.Decode(ids.ToArray()));
        var added = LmGeneration.Generate(lm, prompt, new GenerateOptions { MaxNewTokens = 6, Temperature = 0 });
        string expected = lm.Tokenizer.Decode([.. ids, .. added]);
        Assert.Equal(expected + "\n", gen.Out);
        // the case that failed: the first new token starts a word, and decoding it alone drops its space
        Assert.StartsWith(" ", expected[prompt.Length..]);
        Assert.NotEqual(expected, prompt + lm.Tokenizer.Decode(added.ToArray()));
    }

    /// <summary>`lm generate … | head -c 100` printed its 100 bytes, then generated on for as long as --max-new-tokens allowed
    /// (54 minutes in a review): .NET's Console ignores a closed pipe. It now stops when its reader has gone.</summary>
    [Fact]
    public async Task Generate_stops_when_the_reader_of_its_output_closes_the_pipe()
    {
        var psi = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "speechtok.dll"), "lm", "generate", "--prompt", "The Congress", "--max-new-tokens", "1000000", "--temperature", "0", "--threads", "1" })
            psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var head = new char[20];
        int got = 0;
        while (got < head.Length && p.StandardOutput.Read(head, got, head.Length - got) is int n and > 0) got += n;
        Assert.Equal("The Congress", new string(head, 0, 12));
        p.StandardOutput.Close(); // as head does after its bytes
        bool exited = p.WaitForExit(120_000); // a million tokens take hours; a stop takes one more token
        if (!exited) p.Kill(entireProcessTree: true);
        Assert.True(exited, "lm generate still running two minutes after its output pipe closed");
        Assert.True(p.ExitCode == 0, await err);
    }

    /// <summary>`{ echo BEFORE; lm generate …; echo AFTER; } &gt; file` lost the start of the generated text: generate wrote through a
    /// FileStream on descriptor 1 at its own position, so the shared offset stayed after BEFORE and AFTER overwrote the text.</summary>
    [Fact]
    public void Generate_redirected_to_a_file_shares_its_offset_with_the_commands_around_it()
    {
        string file = Path.Combine(_dir, "shared.txt");
        const string generate = "dotnet \"$1\" lm generate --prompt 'The Congress' --max-new-tokens 8 --temperature 0 --threads 1";
        string alone = Bash(generate);                                                   // to a pipe
        Assert.StartsWith("The Congress", alone);
        Assert.Equal("", Bash($"{{ echo BEFORE; {generate}; echo AFTER; }} > \"$2\"", file)); // to a file, between two echoes
        Assert.Equal("BEFORE\n" + alone + "AFTER\n", File.ReadAllText(file));
    }

    /// <summary>Runs <paramref name="script"/> in bash with $1 = speechtok.dll and $2 = <paramref name="arg"/>; its stdout.</summary>
    private static string Bash(string script, string arg = "")
    {
        var psi = new System.Diagnostics.ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-c", script, "bash", Path.Combine(AppContext.BaseDirectory, "speechtok.dll"), arg }) psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, err.Result);
        return output;
    }

    /// <summary>Qwen2.5's tokenizer adds no BOS (HF <c>tokenizer(text)</c> gives the text's ids alone), yet eval and generate
    /// prepended config.json's <c>bos_token_id</c> (151643, <c>&lt;|endoftext|&gt;</c>). They now feed what the tokenizer gives:
    /// eval scores every text token but the stream's first (nothing precedes it, as in HF's perplexity evaluation).</summary>
    [Fact]
    public void A_tokenizer_without_bos_gets_none_in_eval_generate_and_packing()
    {
        string model = FamilyCheckpoint.Write(Path.Combine(_dir, "qwen"), "Qwen2.5-0.5B", Tokenizer("qwen3"), seed: 1);
        const string doc0 = "The nation is strong.", doc1 = "Freedom and law.", prompt = "The nation";
        int eos = 151643; // config.json's eos_token_id (and bos_token_id)
        int[] ids0, ids1;
        int first;
        using (var lm = CausalLmFolder.Open(model))
        {
            Assert.Null(lm.BosId);
            (ids0, ids1) = (lm.Tokenizer.Encode(doc0), lm.Tokenizer.Encode(doc1));
            var packed = lm.Pack([doc0, doc1]);
            Assert.Equal([.. ids0, eos, .. ids1, eos], packed.Ids);
            Assert.Equal(ids0.Length - 1 + ids1.Length, packed.TextTokens); // the first token has no context

            var greedy = LmGeneration.Generate(lm, prompt, new GenerateOptions { MaxNewTokens = 4, Temperature = 0 });
            var ids = lm.Tokenizer.Encode(prompt).ToList();
            int[] ArgMaxes(List<int> start, int n)
            {
                var seq = new List<int>(start);
                for (int k = 0; k < n; k++)
                {
                    var logits = lm.Model.Logits(seq.ToArray(), Enumerable.Repeat(1, seq.Count).ToArray(), 1, seq.Count).AsSpan((seq.Count - 1) * lm.Model.VocabSize, lm.Tokenizer.VocabSize).ToArray();
                    seq.Add(Array.IndexOf(logits, logits.Max()));
                }
                return seq.Skip(start.Count).ToArray();
            }
            Assert.Equal(ArgMaxes(ids, 4), greedy);
            Assert.NotEqual(ArgMaxes([eos, .. ids], 4), greedy); // else the test would not see a BOS prepended
            first = greedy[0];
            Assert.Equal($"{model}: the prompt is empty and the model's tokenizer adds no BOS token, so there is nothing to continue: give a --prompt",
                Assert.Throws<SpeechTokException>(() => LmGeneration.Generate(lm, "", new GenerateOptions { MaxNewTokens = 1 })).Message);

            // eval: HF's loss over the text's own ids (labels = input_ids, EOS not scored)
            var expected = lm.Model.Loss([.. ids0, eos], Enumerable.Repeat(1, ids0.Length + 1).ToArray(), [.. ids0, CrossEntropy.IgnoreIndex], 1, ids0.Length + 1);
            var eval = Cli("lm", "eval", "--model", model, "--text", Text(doc0), "--json");
            Assert.True(eval.Code == 0, eval.Err);
            var json = System.Text.Json.Nodes.JsonNode.Parse(eval.Out)!;
            Assert.Equal(ids0.Length - 1, json["tokens"]!.GetValue<long>());
            Assert.Equal(expected.Sum / expected.Count, json["loss"]!.GetValue<double>(), 5);
        }
        var gen = Cli("lm", "generate", "--model", model, "--prompt", prompt, "--max-new-tokens", "1", "--temperature", "0");
        Assert.True(gen.Code == 0, gen.Err);
        using (var lm = CausalLmFolder.Open(model))
            Assert.Equal(lm.Tokenizer.Decode([.. lm.Tokenizer.Encode(prompt), first]) + "\n", gen.Out);
    }

    [Fact]
    public void A_sliding_window_shorter_than_the_sequences_is_refused_by_eval_generate_and_continued_training()
    {
        string model = FamilyCheckpoint.Write(Path.Combine(_dir, "mistral"), "Mistral-7B-v0.3", Tokenizer("llama2"), edit: c => c["sliding_window"] = 16);
        string text = Text(string.Join(" ", Enumerable.Repeat("The nation is strong and the people are free.", 20)));
        var eval = Cli("lm", "eval", "--model", model, "--text", text, "--seq-len", "32", "--json");
        Assert.Equal((2, ""), (eval.Code, eval.Out));
        Assert.Contains("exceed the model's sliding_window 16 (the full forward has no sliding-window attention); use a --seq-len of at most 16", eval.Err);
        var within = Cli("lm", "eval", "--model", model, "--text", text, "--seq-len", "16", "--json");
        Assert.True(within.Code == 0, within.Err);

        var gen = Cli("lm", "generate", "--model", model, "--prompt", "The nation is strong and the people are free", "--max-new-tokens", "10");
        Assert.Equal((2, ""), (gen.Code, gen.Out)); // refused before the prompt is printed
        Assert.Contains("use a prompt plus --max-new-tokens of at most 16", gen.Err);

        var train = Cli("lm", "train", "--init-from", model, "--train", text, "--valid", Text("Freedom and law."), "--out", Path.Combine(_dir, "cont"), "--seq-len", "32", "--max-steps", "1", "--warmup-steps", "0");
        Assert.Equal(2, train.Code);
        Assert.Contains("use a --seq-len of at most 16", train.Err);
        Assert.False(Directory.Exists(Path.Combine(_dir, "cont")));
    }

    /// <summary>A pad token that only tokenizer_config.json names is added past tokenizer.json's ids (as HF does); it does not
    /// make the tokenizer "larger than the model", and fine-tuning gives it a new row.</summary>
    [Fact]
    public void A_pad_token_named_only_by_tokenizer_config_does_not_count_against_the_embedding_rows()
    {
        string model = Path.Combine(_dir, "padded-config");
        Directory.CreateDirectory(model);
        foreach (var f in Directory.GetFiles(Path.Combine(FixtureRoot.RepoRoot, "models", "builtin-lm"))) File.Copy(f, Path.Combine(model, Path.GetFileName(f)));
        var config = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(model, "tokenizer_config.json")))!.AsObject();
        config["pad_token"] = "<|pad|>";
        File.WriteAllText(Path.Combine(model, "tokenizer_config.json"), config.ToJsonString());
        using (var lm = CausalLmFolder.Open(model))
        {
            Assert.Equal(8192, lm.Model.VocabSize);
            Assert.Equal(8193, lm.Tokenizer.VocabSize);
            Assert.Equal(8192, lm.Tokenizer.FileVocabSize);
        }
        var eval = Cli("lm", "eval", "--model", model, "--text", Text("The nation is strong."), "--json");
        Assert.True(eval.Code == 0, eval.Err);
        // generate took its candidates from the tokenizer's 8193 ids and sliced 8192 logits with it (a crash)
        var gen = Cli("lm", "generate", "--model", model, "--prompt", "The nation", "--max-new-tokens", "3", "--temperature", "0");
        Assert.True(gen.Code == 0, gen.Err);
        Assert.StartsWith("The nation", gen.Out);
        using var text = LanguageModel.Load(model, selection: null);
        Assert.Equal((8192, 1), (text.PadId, text.NewRowCount));
    }

    /// <summary>generate stopped only on config.json's eos_token_id; transformers' generate reads generation_config.json's.</summary>
    [Fact]
    public void Generate_stops_on_the_eos_ids_of_generation_config()
    {
        string model = Path.Combine(_dir, "stop");
        Directory.CreateDirectory(model);
        foreach (var f in Directory.GetFiles(Path.Combine(FixtureRoot.RepoRoot, "models", "builtin-lm"))) File.Copy(f, Path.Combine(model, Path.GetFileName(f)));
        var greedy = new GenerateOptions { MaxNewTokens = 6, Temperature = 0 };
        List<int> all;
        using (var lm = CausalLmFolder.Open(model))
        {
            Assert.Equal([8191], lm.StopTokenIds);
            all = LmGeneration.Generate(lm, "The Congress", greedy);
        }
        Assert.Equal(6, all.Count);
        string path = Path.Combine(model, "generation_config.json");
        var config = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        config["eos_token_id"] = new System.Text.Json.Nodes.JsonArray(8191, all[2]);
        File.WriteAllText(path, config.ToJsonString());
        using (var lm = CausalLmFolder.Open(model))
            Assert.Equal(all.Take(all.IndexOf(all[2])), LmGeneration.Generate(lm, "The Congress", greedy));
        config["eos_token_id"] = "x";
        File.WriteAllText(path, config.ToJsonString());
        Assert.Contains("generation_config.json: 'eos_token_id' must be", Assert.Throws<SpeechTokException>(() => CausalLmFolder.Open(model)).Message);
    }

    [Fact]
    public void A_tokenizer_with_more_ids_than_the_embedding_rows_is_refused_up_front()
    {
        string model = FamilyCheckpoint.Write(Path.Combine(_dir, "mismatch"), "TinyLlama-1.1B", Llama3Tokenizer);
        var e = Assert.Throws<SpeechTokException>(() => CausalLmFolder.Open(model));
        Assert.Contains("has 128256 token ids", e.Message);
        Assert.Contains("the tokenizer does not belong to this model", e.Message);
        var eval = Cli("lm", "eval", "--model", model, "--text", Text("Short text."));
        Assert.Equal(2, eval.Code); // used to print a number for text whose ids happen to be small
        Assert.Contains("does not belong to this model", eval.Err);
    }

    /// <summary>A checkpoint whose table has more rows than its tokenizer has ids (here Mistral-v0.3's 32,768 rows beside the
    /// llama2 fixture's 32,000 ids, as Qwen2.5 pads its table): a padding row that scored highest used to be drawn and then
    /// failed to decode.</summary>
    [Fact]
    public void Generation_draws_only_the_tokenizers_ids()
    {
        string model = FamilyCheckpoint.Write(Path.Combine(_dir, "padded"), "Mistral-7B-v0.3", Tokenizer("llama2"));
        EditTensor(model, "lm_head.weight", (w, shape) => w[..(32000 * shape[1])].Clear()); // every real id scores 0
        using var lm = CausalLmFolder.Open(model);
        Assert.Equal(32768, lm.Model.VocabSize);
        var logits = lm.Model.Logits([lm.BosId!.Value], [1], 1, 1);
        Assert.True(logits.AsSpan(32000).ToArray().Max() > 0, "no padding row outscores the real ids: the test would not see the defect");
        var greedy = LmGeneration.Generate(lm, "Hello", new GenerateOptions { MaxNewTokens = 4, Temperature = 0 });
        Assert.NotEmpty(greedy); // Assert.All passes on no id at all
        Assert.All(greedy, id => Assert.InRange(id, 0, 31999));
        var sampled = LmGeneration.Generate(lm, "Hello", new GenerateOptions { MaxNewTokens = 8, Temperature = 5, TopK = 0, Seed = 1 });
        Assert.NotEmpty(sampled);
        Assert.All(sampled, id => Assert.InRange(id, 0, 31999));
    }

    /// <summary>Llama-3.1 lists three EOS ids; generation stopped only at the first, and a continued model's
    /// generation_config.json kept only the first.</summary>
    [Fact]
    public void Generation_stops_at_any_eos_id_and_a_continued_model_keeps_them_all()
    {
        string model = FamilyCheckpoint.Write(Path.Combine(_dir, "eos"), "TinyLlama-1.1B", Tokenizer("llama2"), seed: 1);
        int first;
        using (var lm = CausalLmFolder.Open(model))
            first = LmGeneration.Generate(lm, "Hello world", new GenerateOptions { MaxNewTokens = 3, Temperature = 0 })[0];
        Assert.NotEqual(2, first);
        var config = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(model, "config.json")))!.AsObject();
        config["eos_token_id"] = new System.Text.Json.Nodes.JsonArray(2, first);
        File.WriteAllText(Path.Combine(model, "config.json"), config.ToJsonString());
        using (var lm = CausalLmFolder.Open(model))
            Assert.Empty(LmGeneration.Generate(lm, "Hello world", new GenerateOptions { MaxNewTokens = 3, Temperature = 0 }));

        var docs = TextCorpus.Load([Path.Combine(FixtureRoot.RepoRoot, "tests", "data", "sotu-sample")]);
        var (train, valid) = TextCorpus.SplitByYear(docs, 1900);
        var o = new LmTrainOptions { InitFrom = model, VocabSize = null, Shape = null, SeqLen = 32, BatchSize = 2, Lr = 1e-3, MinLr = 1e-4, WarmupSteps = 0, MaxSteps = 1, EvalEvery = 1, CheckpointEvery = 1, EvalBatchSize = 2, Seed = 5 };
        string cont = Path.Combine(_dir, "eos-cont");
        LmTrainer.Run(new LmTrainSpec { Train = train, Valid = valid.Take(1).ToList(), Out = cont, Options = o });
        var generation = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(cont, "generation_config.json")))!.AsObject();
        Assert.Equal($"{{\"bos_token_id\":1,\"eos_token_id\":[2,{first}]}}", generation.ToJsonString());
    }

    [Fact]
    public void Non_finite_weights_are_one_error_line_in_eval_and_generate()
    {
        string model = FamilyCheckpoint.Write(Path.Combine(_dir, "nan"), "TinyLlama-1.1B", Tokenizer("llama2"));
        EditTensor(model, "model.norm.weight", (w, _) => w[0] = float.NaN);
        var eval = Cli("lm", "eval", "--model", model, "--text", Text("The nation is strong."), "--json");
        Assert.Equal((2, ""), (eval.Code, eval.Out));
        Assert.Equal($"error: {model}: the loss is NaN nats/token: the model's outputs are not usable (non-finite weights, or training that diverged)", eval.Err.Trim());
        var gen = Cli("lm", "generate", "--model", model, "--prompt", "The nation", "--temperature", "0");
        Assert.Equal((2, ""), (gen.Code, gen.Out));
        Assert.StartsWith($"error: {model}: the model's logits are not finite (NaN) at position", gen.Err.Trim());
    }

    [Fact]
    public void Training_that_diverges_stops_with_an_error_naming_the_step()
    {
        var docs = TextCorpus.Load([Path.Combine(FixtureRoot.RepoRoot, "tests", "data", "sotu-sample")]);
        var (train, valid) = TextCorpus.SplitByYear(docs, 1900);
        var o = TinyLm.Options with { Lr = 1e30, MinLr = 0, WarmupSteps = 0, MaxSteps = 4, EvalEvery = 1 };
        var e = Assert.Throws<SpeechTokException>(() => LmTrainer.Run(new LmTrainSpec { Train = train, Valid = valid, Out = Path.Combine(_dir, "diverged"), Options = o }));
        Assert.Matches(@"^lm train: (loss|gradient norm) is .* at step \d|^lm train: held-out evaluation at step \d+: the loss is", e.Message);
    }

    [Fact]
    public void An_empty_model_path_or_a_file_is_refused_in_plain_words()
    {
        var empty = Cli("lm", "eval", "--model", "", "--text", Text("x"));
        Assert.Equal((2, "error: the model path is empty: give a Hugging Face model folder, or 'builtin'"), (empty.Code, empty.Err.Trim()));
        string file = Text("not a model");
        var asFile = Cli("lm", "generate", "--model", file, "--prompt", "x");
        Assert.Equal(2, asFile.Code);
        Assert.Equal($"error: model '{file}' is a file: give the Hugging Face model folder that holds config.json, the weights and tokenizer.json", asFile.Err.Trim());
    }

    [Fact]
    public void A_config_that_does_not_describe_the_weights_is_refused_naming_the_folder_and_its_settings()
    {
        string model = FamilyCheckpoint.Write(Path.Combine(_dir, "shape"), "TinyLlama-1.1B", Tokenizer("llama2"));
        var config = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(model, "config.json")))!.AsObject();
        config["hidden_size"] = 32;
        File.WriteAllText(Path.Combine(model, "config.json"), config.ToJsonString());
        var e = Assert.Throws<ShapeMismatchException>(() => CausalLmFolder.Open(model));
        Assert.StartsWith($"{model}: weight 'model.embed_tokens.weight': checkpoint shape [32000, 16] does not match the shape config.json gives it, [32000, 32] (hidden_size 32,", e.Message);
    }

    /// <summary>transformers' Auto classes go by model_type; a config without <c>architectures</c> was refused as architecture ''.</summary>
    [Fact]
    public void A_config_without_architectures_is_read_by_its_model_type()
    {
        var published = FamilyCheckpoint.PublishedConfig("Qwen2.5-0.5B");
        var withArch = LlamaConfig.Parse(published.ToJsonString(), "with");
        published.Remove("architectures");
        var byType = LlamaConfig.Parse(published.ToJsonString(), "without");
        Assert.Equal("Qwen2ForCausalLM", byType.Architecture);
        Assert.Equal(withArch.EosTokenIds, byType.EosTokenIds);
        Assert.Equal(withArch with { EosTokenIds = [] }, byType with { EosTokenIds = [] }); // arrays compare by reference in a record
        published["model_type"] = "gemma2";
        Assert.Equal("c.json: model_type 'gemma2' is not supported (supported: llama, qwen2, mistral)",
            Assert.Throws<SpeechTokException>(() => LlamaConfig.Parse(published.ToJsonString(), "c.json")).Message);
        published.Remove("model_type");
        Assert.Equal("c.json: neither architectures nor model_type is given", Assert.Throws<SpeechTokException>(() => LlamaConfig.Parse(published.ToJsonString(), "c.json")).Message);
        var conflicting = FamilyCheckpoint.PublishedConfig("Qwen2.5-0.5B");
        conflicting["model_type"] = "llama";
        Assert.Equal("c.json: architectures names Qwen2ForCausalLM but model_type is 'llama': the config contradicts itself",
            Assert.Throws<SpeechTokException>(() => LlamaConfig.Parse(conflicting.ToJsonString(), "c.json")).Message);
        // the classes' defaults for absent keys, as transformers' MistralConfig / Qwen2Config
        var mistral = FamilyCheckpoint.PublishedConfig("Mistral-7B-v0.3");
        Assert.Null(LlamaConfig.Parse(mistral.ToJsonString(), "m").SlidingWindow); // "sliding_window": null in the file
        mistral.Remove("sliding_window");
        mistral.Remove("max_position_embeddings");
        var absent = LlamaConfig.Parse(mistral.ToJsonString(), "m");
        Assert.Equal((4096, 131072), (absent.SlidingWindow, absent.MaxPositionEmbeddings));
        mistral.Remove("num_key_value_heads");
        Assert.Equal(8, LlamaConfig.Parse(mistral.ToJsonString(), "m").NumKvHeads);
        var qwen = FamilyCheckpoint.PublishedConfig("Qwen2.5-0.5B");
        qwen.Remove("max_position_embeddings");
        Assert.Equal(32768, LlamaConfig.Parse(qwen.ToJsonString(), "q").MaxPositionEmbeddings);
        var gptq = FamilyCheckpoint.PublishedConfig("Qwen2.5-0.5B");
        gptq["quantization_config"] = new System.Text.Json.Nodes.JsonObject { ["quant_method"] = "gptq", ["bits"] = 4 };
        Assert.StartsWith("c.json: quantization_config (quant_method 'gptq') is not supported", Assert.Throws<SpeechTokException>(() => LlamaConfig.Parse(gptq.ToJsonString(), "c.json")).Message);
    }

    /// <summary>A copy of <paramref name="folder"/>'s config.json and model.safetensors with the tensors renamed by <paramref name="rename"/>.</summary>
    private string CopyRenamed(string folder, string name, Func<string, string> rename)
    {
        string dir = Directory.CreateDirectory(Path.Combine(_dir, name)).FullName;
        File.Copy(Path.Combine(folder, "config.json"), Path.Combine(dir, "config.json"));
        using var st = SafeTensors.OpenModel(folder);
        SafeTensors.Save(Path.Combine(dir, SafeTensors.ModelFileName), st.Names.Select(n => (rename(n), st.Get(n))).ToList());
        return dir;
    }

    /// <summary>
    /// HF's <c>LlamaModel.save_pretrained</c> writes the backbone without the <c>model.</c> prefix (<c>embed_tokens.weight</c>,
    /// <c>layers.0.…</c>, <c>norm.weight</c>), which transformers' <c>from_pretrained</c> maps onto the causal LM: the same
    /// weights under either layout give the same logits; <c>lm_head.weight</c> keeps its name. A mix of the two layouts,
    /// or a backbone name missing from a bare one, is refused naming the folder.
    /// </summary>
    [Theory]
    [InlineData("TinyLlama-1.1B")] // untied: lm_head.weight beside the backbone
    [InlineData("SmolLM2-135M")]   // tied
    public void A_checkpoint_without_the_model_prefix_gives_the_same_logits(string family)
    {
        string prefixed = FamilyCheckpoint.Write(Path.Combine(_dir, "prefixed"), family, Tokenizer("llama2"), seed: 2);
        string bare = CopyRenamed(prefixed, "bare", n => n.StartsWith("model.", StringComparison.Ordinal) ? n["model.".Length..] : n);
        using (var st = SafeTensors.OpenModel(bare))
        {
            Assert.Contains("embed_tokens.weight", st.Names);
            Assert.Contains("layers.1.mlp.down_proj.weight", st.Names);
            Assert.DoesNotContain(st.Names, n => n.StartsWith("model.", StringComparison.Ordinal));
            Assert.Equal(family == "TinyLlama-1.1B", st.Contains("lm_head.weight"));
        }
        int[] ids = [1, 450, 7, 2, 9000, 3];
        float[] Logits(string folder)
        {
            using var checkpoint = LlamaCheckpoint.Open(folder);
            using var lm = new LlamaForCausalLm(checkpoint.Weights);
            return lm.Logits(ids, [], 1, ids.Length);
        }
        Assert.Equal(Logits(prefixed), Logits(bare));

        string mixed = CopyRenamed(prefixed, "mixed", n => n == "model.norm.weight" ? "norm.weight" : n);
        var e = Assert.Throws<SpeechTokException>(() => LlamaCheckpoint.Open(mixed));
        Assert.StartsWith(mixed + ": the checkpoint mixes tensor names with the 'model.' prefix", e.Message);
        Assert.Contains("and without it ('norm.weight')", e.Message);
        // a head outside the backbone (TRL's value head) does not decide the layout: it is an unused tensor, as before
        string headed = CopyRenamed(prefixed, "headed", n => n); // the folder, then its weights with one tensor more
        using (var st = SafeTensors.OpenModel(prefixed))
            SafeTensors.Save(Path.Combine(headed, SafeTensors.ModelFileName), st.Names.Select(n => (n, st.Get(n))).Append(("v_head.summary.weight", st.Get("model.norm.weight"))).ToList());
        Assert.Contains("tensor(s) that config.json does not use, e.g. 'v_head.summary.weight'", Assert.Throws<SpeechTokException>(() => LlamaCheckpoint.Open(headed)).Message);
        string missing = CopyRenamed(bare, "missing", n => n == "layers.1.mlp.up_proj.weight" ? "layers.1.mlp.up.weight" : n);
        Assert.Contains("weight 'layers.1.mlp.up_proj.weight' (expected shape [24, 16]) is missing",
            Assert.Throws<SpeechTokException>(() => LlamaCheckpoint.Open(missing)).Message);
    }

    /// <summary>Some early Llama conversions have <c>pad_token_id: -1</c> in config.json; transformers loads them, and a causal
    /// LM never reads that id (padding uses the tokenizer's pad), so it loads here too, as no pad id.</summary>
    [Fact]
    public void A_pad_token_id_outside_the_vocabulary_in_config_json_loads()
    {
        string model = FamilyCheckpoint.Write(Path.Combine(_dir, "pad"), "TinyLlama-1.1B", Tokenizer("llama2"), edit: c => c["pad_token_id"] = -1);
        using var lm = CausalLmFolder.Open(model);
        Assert.Null(lm.Config.PadTokenId);
        var ids = new List<int>();
        lm.Tokenizer.EncodeTo("Hello world", ids);
        Assert.True(lm.Model.Logits(ids.ToArray(), [], 1, ids.Count).All(float.IsFinite));
    }
}
