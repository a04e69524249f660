using System.CommandLine;
using SpeechTok.Audio;
using SpeechTok.Codec.Builtin;
using SpeechTok.Tensors;
using SpeechTok.Training;
using SpeechTok.IO;

namespace SpeechTok.Cli.Commands;

/// <summary>`speechtok tokenizer fit`: fits the built-in residual k-means tokenizer on a manifest's train split.</summary>
internal static class TokenizerFitCommand
{
    public static Command Build()
    {
        var manifest = new Option<string>("--manifest") { Description = "Manifest CSV (the train split is used).", Required = true };
        var outDir = new Option<string>("--out") { Description = "Folder to write the tokenizer to.", Required = true };
        var defaults = new BuiltinFitOptions();
        var seed = new Option<int>("--seed") { Description = "Random seed (k-means++ init); a non-negative integer.", DefaultValueFactory = _ => defaults.Seed }.AtLeast(0);
        var size = new Option<int>("--codebook-size") { Description = "Codes per layer at most (fewer when the data is small: frames / --frames-per-code).", DefaultValueFactory = _ => defaults.CodebookSize };
        var perCode = new Option<int>("--frames-per-code") { Description = "Fitting frames per code: a layer gets min(--codebook-size, frames / this) codes.", DefaultValueFactory = _ => defaults.FramesPerCode };
        var layers = new Option<int>("--num-quantizers") { Description = "Residual layers.", DefaultValueFactory = _ => defaults.NumQuantizers };
        var audioRoot = new Option<string?>("--audio-root") { Description = "Folder the clip paths are relative to (default: the manifest's folder)." };
        var threads = CliLists.Threads("Threads, one per core by default.");
        var mixdown = new Option<bool>("--mixdown") { Description = "Average all channels instead of taking channel 0." };
        var fit = new Command("fit", "Fit the built-in tokenizer (residual k-means at 50 Hz: layer 1 on spectral shape, layers 2-8 on the residual with pitch, level and voicing) on the train split.")
            { manifest, outDir, seed, size, perCode, layers, audioRoot, threads, mixdown };
        fit.SetAction(r =>
        {
            Threading.Threads = r.GetValue(threads);
            var dir = OutputPaths.RequireFolder(r.GetValue(outDir)!, "tokenizer fit writes the tokenizer into a new folder");
            // Code stores and runs name the tokenizer by its hash: replacing it in place would orphan them.
            if (Directory.Exists(dir) && Directory.EnumerateFileSystemEntries(dir).Any())
                throw new SpeechTokException($"--out {dir} is not an empty folder; a fitted tokenizer is never replaced in place (code stores and runs made with it need it as it is): choose a new folder");
            var options = new BuiltinFitOptions { Seed = r.GetValue(seed), CodebookSize = r.GetValue(size), FramesPerCode = r.GetValue(perCode), NumQuantizers = r.GetValue(layers) };
            options.Validate(); // before the clips are read
            var m = Manifest.LoadClips(r.GetValue(manifest)!, r.GetValue(audioRoot)); // labels unused, as tokenize's own fit
            m.RequireClips();
            var tok = BuiltinTokenizer.Fit(m, options, r.GetValue(mixdown), msg => Console.Error.WriteLine(msg));
            AtomicFolder.Create(dir, tok.Save); // whole or not at all, and a fit of another process that got there first is kept
            Console.WriteLine($"layer  size  used  used%  perplexity");
            foreach (var u in tok.Usage) Console.WriteLine($"{u.Layer,5} {u.Size,5} {u.Used,5} {u.UsedFraction,6:P0} {u.Perplexity,11:F1}");
            Console.WriteLine($"saved to {Path.GetFullPath(dir)} (usage in {BuiltinTokenizer.UsageFile})");
            return 0;
        });
        return new Command("tokenizer", "Built-in speech tokenizer.") { fit };
    }
}
