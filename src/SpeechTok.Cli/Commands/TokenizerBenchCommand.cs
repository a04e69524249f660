using System.CommandLine;
using System.Diagnostics;
using System.Text;
using SpeechTok.Lm.Tokenization;

namespace SpeechTok.Cli.Commands;

/// <summary>`speechtok bench tokenizer`: load time and encode throughput of a tokenizer.json (cold and cached).</summary>
internal static class TokenizerBenchCommand
{
    public static Command Build()
    {
        var path = new Option<string>("--tokenizer") { Description = "The tokenizer.json file, or a folder holding one.", Required = true };
        var input = new Option<string?>("--input") { Description = "UTF-8 text file to encode (default: a seeded synthetic corpus decoded from random vocab entries)." };
        var lines = new Option<int>("--lines") { Description = "Synthetic corpus size in lines (without --input).", DefaultValueFactory = _ => 20000 };
        var json = new Option<bool>("--json") { Description = "Print only the JSON result line." };
        var cmd = new Command("tokenizer", "Load time and encode throughput of a tokenizer.json; last line {\"load_s\",\"lines\",\"tokens\",\"cold_tokens_per_s\",\"warm_tokens_per_s\",\"warm_mb_per_s\",\"cold_tokens_per_cpu_s\",\"warm_tokens_per_cpu_s\"}.")
        { path, input, lines, json };
        cmd.SetAction(parseResult =>
        {
            if (parseResult.GetValue(input) != null && parseResult.GetResult(lines) is { Implicit: false })
                throw new SpeechTokException("--lines sizes the synthetic corpus; --input gives the text: drop --lines");
            if (parseResult.GetValue(lines) < 1) throw new SpeechTokException($"--lines {parseResult.GetValue(lines)}: must be at least 1");
            var sw = Stopwatch.StartNew();
            var tok = HfTokenizer.Load(parseResult.GetValue(path)!);
            double loadS = sw.Elapsed.TotalSeconds;

            string? file = parseResult.GetValue(input);
            string[] corpus = file != null ? File.ReadAllLines(file) : Synthetic(tok, parseResult.GetValue(lines));
            long bytes = corpus.Sum(l => (long)Encoding.UTF8.GetByteCount(l));

            // CPU seconds too: on a shared machine wall time mostly measures the wait for a core.
            double Pass(out long tokens, out double cpu)
            {
                tokens = 0;
                var ids = new List<int>();
                var proc = Process.GetCurrentProcess();
                var cpu0 = proc.TotalProcessorTime;
                var t = Stopwatch.StartNew();
                foreach (var l in corpus) { ids.Clear(); tok.EncodeTo(l, ids); tokens += ids.Count; }
                double wall = t.Elapsed.TotalSeconds;
                proc.Refresh();
                cpu = (proc.TotalProcessorTime - cpu0).TotalSeconds;
                return wall;
            }
            double cold = Pass(out long n, out double coldCpu);
            double warm = Pass(out _, out double warmCpu);
            if (!parseResult.GetValue(json)) Console.WriteLine($"{corpus.Length} lines, {bytes / 1e6:F2} MB, {n} tokens; load {loadS:F3} s");
            Console.WriteLine(FormattableString.Invariant(
                $"{{\"load_s\":{loadS:F3},\"lines\":{corpus.Length},\"tokens\":{n},\"cold_tokens_per_s\":{n / cold:F0},\"warm_tokens_per_s\":{n / warm:F0},\"warm_mb_per_s\":{bytes / 1e6 / warm:F2},\"cold_tokens_per_cpu_s\":{n / coldCpu:F0},\"warm_tokens_per_cpu_s\":{n / warmCpu:F0}}}"));
            return 0;
        });
        return cmd;
    }

    // Words decoded from random vocab entries, so the cold pass sees many distinct pre-tokens.
    private static string[] Synthetic(HfTokenizer tok, int count)
    {
        var rng = new Random(42);
        int vocab = tok.AddedTokens.Count > 0 ? tok.AddedTokens.Min(a => a.Id) : tok.VocabSize;
        var result = new string[count];
        var sb = new StringBuilder();
        var ids = new int[1];
        for (int i = 0; i < count; i++)
        {
            sb.Clear();
            int words = rng.Next(5, 40);
            for (int w = 0; w < words; w++) { ids[0] = rng.Next(vocab); sb.Append(tok.Decode(ids)); }
            result[i] = sb.ToString();
        }
        return result;
    }
}
