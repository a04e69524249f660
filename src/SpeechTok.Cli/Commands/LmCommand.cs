using System.CommandLine;
using SpeechTok.Training;

namespace SpeechTok.Cli.Commands;

/// <summary>`speechtok lm train|generate|eval`: pre-train a causal LM from scratch, sample from one, measure one.</summary>
internal static class LmCommand
{
    public static Command Build()
    {
        var cmd = new Command("lm", "Causal language models: pre-train one from scratch on plain text, sample from one, measure its bits per byte.");
        cmd.Subcommands.Add(LmTrainCommand.Build());
        cmd.Subcommands.Add(BuildGenerate());
        cmd.Subcommands.Add(BuildEval());
        return cmd;
    }

    /// <summary>--model and --threads.</summary>
    private sealed record ModelOptions(Option<string> Model, Option<int> Threads)
    {
        public static ModelOptions Create() => new(
            new Option<string>("--model") { Description = "Hugging Face model folder (e.g. an `lm train` output), or 'builtin' (the default).", DefaultValueFactory = _ => ModelResolver.Builtin },
            CliLists.Threads("Threads, one per core by default."));

        public void AddTo(Command c)
        {
            c.Options.Add(Model); c.Options.Add(Threads);
        }

        public CausalLmFolder Open(ParseResult r)
        {
            Tensors.Threading.Threads = r.GetValue(Threads);
            return CausalLmFolder.Open(ModelResolver.Resolve(r.GetValue(Model)!));
        }
    }

    private static Command BuildGenerate()
    {
        var model = ModelOptions.Create();
        var prompt = new Option<string>("--prompt") { Description = "Text to continue (BOS is prepended when the model's tokenizer adds one).", Required = true };
        var maxNew = new Option<int?>("--max-new-tokens") { Description = $"Tokens to generate at most (HF max_new_tokens); default: generation_config.json's max_new_tokens, else its max_length less the prompt's tokens, else {GenerateOptions.DefaultMaxNewTokens}. Generation also stops at the model's EOS. With a KV cache; once prompt and continuation pass max_position_embeddings, the model sees the last max_position_embeddings tokens and each new token recomputes that window (no cache reuse, slower)." };
        var temperature = new Option<double?>("--temperature") { Description = $"Softmax temperature: 0 is greedy (argmax), above 0 samples. Default: generation_config.json's temperature (else {GenerationConfig.DefaultTemperature}) when its do_sample is true, else 0 (greedy), as transformers' generate." };
        var topK = new Option<int?>("--top-k") { Description = $"Sample among the k most likely tokens; 0 = all. Default: generation_config.json's top_k, else {GenerationConfig.DefaultTopK}." };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the sampling (not used when greedy).", DefaultValueFactory = _ => new GenerateOptions().Seed };
        var cmd = new Command("generate", "Continue a prompt with a causal LM (prints the prompt and its continuation); settings not given come from the model's generation_config.json.") { prompt, maxNew, temperature, topK, seed };
        model.AddTo(cmd);
        cmd.SetAction(r =>
        {
            var o = new GenerateOptions { MaxNewTokens = r.GetValue(maxNew), Temperature = r.GetValue(temperature), TopK = r.GetValue(topK), Seed = r.GetValue(seed) };
            o.Validate(); // before the prompt is printed
            using var lm = model.Open(r);
            foreach (var setting in lm.Generation.NotApplied)
                Console.Error.WriteLine($"warning: {Path.Combine(lm.Folder, GenerationConfig.FileName)}: {setting} is not applied (lm generate has temperature and top-k only)");
            string text = r.GetValue(prompt)!;
            var ids = new List<int>();
            lm.Tokenizer.EncodeTo(text, ids);
            var streamer = new TextStreamer(lm.Tokenizer, ids);
            var output = PipeOutput.Open();
            bool started = false;
            try
            {
                try
                {
                    LmGeneration.Generate(lm, text, o, id =>
                    {
                        if (!started) output.Write(text); // only once generation runs: a refusal prints nothing
                        started = true;
                        output.Write(streamer.Put(id));
                    });
                    if (!started) output.Write(text);
                    started = true;
                    output.Write(streamer.End());
                }
                finally
                {
                    if (started) output.WriteLine(); // also ends the line when an error stops generation midway
                }
            }
            catch (IOException e) when (PipeOutput.ReaderGone(e))
            {
                // the reader (e.g. `| head`) has all it wanted: stop generating, as a tool killed by SIGPIPE would
            }
            return 0;
        });
        return cmd;
    }

    private static Command BuildEval()
    {
        var model = ModelOptions.Create();
        var text = new Option<string[]>("--text") { Description = "UTF-8 text files (or folders of *.txt); each file is one document.", Required = true, AllowMultipleArgumentsPerToken = true };
        var seqLen = new Option<int?>("--seq-len") { Description = "Window length, at least 2 (default: the model's max_position_embeddings, at most 2048 and at most its sliding_window)." }.AtLeast(2);
        var batch = new Option<int>("--batch-size") { Description = "Windows per forward pass (the same windows and tokens, but the loss is summed batch by batch, so another size may change the last bits of the result).", DefaultValueFactory = _ => 8 }.AtLeast(1);
        var json = new Option<bool>("--json") { Description = "Print only the JSON line." };
        var cmd = new Command("eval", "Bits per byte and perplexity of a causal LM on text files (windows of the context overlapping by one token; EOS, and BOS when the tokenizer adds one, between documents).")
            { text, seqLen, batch, json };
        model.AddTo(cmd);
        cmd.SetAction(r =>
        {
            using var lm = model.Open(r);
            var skipped = new List<string>();
            var docs = TextCorpus.Load(r.GetValue(text)!, skipped);
            if (TextCorpus.SkippedNote(skipped) is { } note) Console.Error.WriteLine($"note: {note}");
            int t = r.GetValue(seqLen) ?? Math.Min(Math.Min(lm.Config.MaxPositionEmbeddings, 2048), lm.Config.SlidingWindow ?? int.MaxValue);
            lm.CheckSequenceLength(t, "--seq-len");
            var res = LmEvaluation.Evaluate(lm.Model, lm.Pack(docs.Select(d => d.Text).ToList()), t, r.GetValue(batch), lm.Folder);
            if (!r.GetValue(json))
                Console.WriteLine($"{lm.Folder}: {docs.Count} document(s), {res.Bytes:N0} bytes, {res.Tokens:N0} tokens, windows of {t}: " +
                    $"{res.BitsPerByte:F4} bits/byte, perplexity {res.Perplexity:F3}, loss {res.MeanLoss:F4} nats/token");
            var o = res.ToJson();
            o["model"] = lm.Folder;
            o["seq_len"] = t;
            Console.WriteLine(o.ToJsonString());
            return 0;
        });
        return cmd;
    }
}
