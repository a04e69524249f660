using System.CommandLine;
using Spectre.Console;
using SpeechTok.Audio;
using SpeechTok.Codec;
using SpeechTok.Codec.Builtin;
using SpeechTok.Codec.Store;
using SpeechTok.Tensors;
using SpeechTok.IO;

namespace SpeechTok.Cli.Commands;

/// <summary>`speechtok tokenize`: every sample of a manifest into a resumable code store.</summary>
internal static class TokenizeCommand
{
    public static Command Build()
    {
        var manifest = new Option<string>("--manifest") { Description = "Manifest CSV.", Required = true };
        var tokenizer = new Option<string>("--tokenizer") { Description = "Tokenizer folder, or 'builtin' (fitted on the train split into <out>/tokenizer when absent).", Required = true };
        var outDir = new Option<string>("--out") { Description = "Code store folder (resumable).", Required = true };
        var jsonl = new Option<string?>("--jsonl") { Description = "Also write one JSON line per sample {split, index, codes}." };
        var audioRoot = new Option<string?>("--audio-root") { Description = "Folder the clip paths are relative to (default: the manifest's folder)." };
        var threads = CliLists.Threads("Parallel samples, one per core by default.");
        var mixdown = new Option<bool>("--mixdown") { Description = "Average all channels instead of taking channel 0." };
        var seed = new Option<int>("--seed") { Description = "Seed for fitting the built-in tokenizer; a non-negative integer.", DefaultValueFactory = _ => new BuiltinFitOptions().Seed }.AtLeast(0);
        var cmd = new Command("tokenize", "Tokenize every sample of a manifest into a code store (skips finished samples).")
            { manifest, tokenizer, outDir, jsonl, audioRoot, threads, mixdown, seed };
        cmd.SetAction(r =>
        {
            int nThreads = r.GetValue(threads);
            Threading.Threads = nThreads;
            OutputPaths.RequireFolder(r.GetValue(outDir)!, "tokenize writes a code store folder");
            if (r.GetValue(jsonl) is { } lines) Manifest.RequireApart(OutputPaths.RequireFile(lines, "codes.jsonl", "--jsonl"), r.GetValue(manifest)!, "--jsonl");
            var m = Manifest.LoadClips(r.GetValue(manifest)!, r.GetValue(audioRoot)); // labels optional: new audio is tokenized for predict
            var tokArg = r.GetValue(tokenizer)!;
            if (tokArg != TokenizerLoader.Builtin) TokenizerLoader.RequireFolder(tokArg); // a wrong --tokenizer before a list of clips
            m.RequireClips(); // before fitting anything
            var dir = r.GetValue(outDir)!;
            string tokDir = tokArg == TokenizerLoader.Builtin ? Path.Combine(dir, TokenizerLoader.BuiltinSubfolder) : tokArg;
            if (r.GetValue(jsonl) is { } jsonlPath)
            {
                // The store's own files (made by this run when absent) and the tokenizer: --jsonl codes.bin had made the
                // store re-encode everything, --jsonl store.json or the tokenizer's config.json left them unreadable.
                foreach (var file in new[] { CodeStore.MetaFile, CodeStore.DataFile })
                    OutputPaths.RequireApart(jsonlPath, Path.Combine(dir, file), $"the code store's {file}", option: "--jsonl");
                OutputPaths.RequireApart(jsonlPath, tokDir, "the tokenizer folder", folder: true, option: "--jsonl");
            }
            if (r.GetResult(seed) is { Implicit: false })
            {
                // --seed only shapes a fit: refused where nothing is fitted, rather than ignored.
                if (tokArg != TokenizerLoader.Builtin) throw new SpeechTokException("--seed is for fitting --tokenizer builtin; a tokenizer folder is used as it is");
                if (BuiltinTokenizer.IsBuiltinFolder(tokDir) && BuiltinTokenizer.Load(tokDir).Seed != r.GetValue(seed))
                    throw new SpeechTokException($"{tokDir} holds a tokenizer fitted with --seed {BuiltinTokenizer.Load(tokDir).Seed}; use another --out for --seed {r.GetValue(seed)}");
            }
            ISpeechTokenizer tok = tokArg == TokenizerLoader.Builtin
                ? TokenizerLoader.LoadOrFitBuiltin(tokDir, m, new BuiltinFitOptions { Seed = r.GetValue(seed) }, r.GetValue(mixdown), msg => Console.Error.WriteLine(msg))
                : TokenizerLoader.Load(tokDir);
            var identity = TokenizerLoader.Identity(tokDir);
            var options = new TokenizeOptions { Threads = nThreads, Mixdown = r.GetValue(mixdown), JsonlPath = r.GetValue(jsonl) };

            using var interruption = new Interruption(); // Ctrl+C or SIGTERM: the samples in hand are finished and kept
            try
            {
                TokenizeResult? result = null;
                if (AnsiConsole.Profile.Capabilities.Interactive && !Console.IsOutputRedirected && !Console.IsErrorRedirected)
                    AnsiConsole.Progress()
                        .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                        .Start(ctx =>
                        {
                            var task = ctx.AddTask("tokenize", maxValue: m.Samples.Count);
                            result = Tokenization.Run(m, tok, identity, dir, options, (done, _) => task.Value = done, interruption.Token);
                        });
                else
                {
                    // Redirected (a log file, CI): plain lines at every tenth instead of a live bar's escape codes.
                    int shown = 0;
                    result = Tokenization.Run(m, tok, identity, dir, options, (done, _) =>
                    {
                        int tenth = (int)(10L * done / Math.Max(1, m.Samples.Count));
                        for (int was = Volatile.Read(ref shown); tenth > was; was = Volatile.Read(ref shown))
                            if (Interlocked.CompareExchange(ref shown, tenth, was) == was)
                            {
                                Console.Error.WriteLine($"tokenize: {done}/{m.Samples.Count} samples");
                                break;
                            }
                    }, interruption.Token);
                }
                // With the JSON lines on stdout (--jsonl /dev/stdout) the summary goes to stderr, so that stdout stays JSON lines.
                var summary = r.GetValue(jsonl) is { } j && Path.GetFullPath(j) is "/dev/stdout" or "/proc/self/fd/1" ? Console.Error : Console.Out;
                summary.WriteLine($"{result!.Total} samples: {result.Encoded} tokenized, {result.Skipped} already done" +
                    (result.Restamped > 0 ? $" ({result.Restamped} of them at new paths or times, recognised by content)" : "") +
                    (result.TornTailBytes > 0 ? $"; cut a torn last record ({result.TornTailBytes} bytes) left by an interrupted run" : "") +
                    (result.DamagedRecords > 0 ? $"; {result.DamagedRecords} damaged record(s) redone" : "") + $" → {Path.GetFullPath(dir)}");
                return 0;
            }
            catch (OperationCanceledException)
            {
                return interruption.ExitCode; // Interruption.Announce has said what is kept
            }
        });
        return cmd;
    }
}
