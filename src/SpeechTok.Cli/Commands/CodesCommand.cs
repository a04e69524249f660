using System.CommandLine;
using System.Text.Json;
using SpeechTok.Audio;
using SpeechTok.Codec;
using SpeechTok.Codec.Store;
using SpeechTok.Tensors;

namespace SpeechTok.Cli.Commands;

/// <summary>
/// `speechtok codes`: prints the RVQ codes of audio files as one JSON object {"FILE": [[layer 1], …]}. Every
/// file is loaded and encoded first; the JSON is written only when all succeeded, otherwise one error counts the
/// failed files and lists the first (<see cref="ShortList"/>) with their defects, and stdout stays empty.
/// </summary>
internal static class CodesCommand
{
    public static Command Build()
    {
        var tokenizer = new Option<string>("--tokenizer") { Description = "Tokenizer folder (built-in or official SpeechTokenizer).", Required = true };
        var mixdown = new Option<bool>("--mixdown") { Description = "Average all channels instead of taking channel 0." };
        var threads = CliLists.Threads("Threads, one per core by default.");
        var files = new Argument<string[]>("FILE") { Description = "Audio files (WAV, or anything ffmpeg reads).", Arity = ArgumentArity.OneOrMore };
        var cmd = new Command("codes", "Print the RVQ codes of audio files as one JSON object, only once every file is encoded.") { tokenizer, mixdown, threads, files };
        cmd.SetAction(r =>
        {
            Threading.Threads = r.GetValue(threads);
            var paths = r.GetValue(files)!;
            if (paths.GroupBy(p => p, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
                throw new SpeechTokException($"{twice.Key} is given {twice.Count()} times: the output is one JSON object keyed by file");
            var tok = TokenizerLoader.Load(r.GetValue(tokenizer)!);
            var codes = new int[paths.Length][][];
            var failed = new List<string>();
            for (int i = 0; i < paths.Length; i++)
            {
                float[] wav;
                try { wav = AudioLoader.Load(paths[i], r.GetValue(mixdown)); }
                catch (SpeechTokException e) { failed.Add(e.Message); continue; } // the loader's messages name the file
                try { codes[i] = tok.Encode(wav); }
                catch (SpeechTokException e) { failed.Add($"{paths[i]}: {e.Message}"); }
            }
            if (failed.Count > 0)
                throw new SpeechTokException($"{failed.Count} of {paths.Length} file(s) failed; nothing was printed:\n  " + ShortList.Join("\n  ", failed));
            using var stdout = Console.OpenStandardOutput();
            using (var w = new Utf8JsonWriter(stdout))
            {
                w.WriteStartObject();
                for (int i = 0; i < paths.Length; i++) Tokenization.WriteCodes(w, paths[i], codes[i]!);
                w.WriteEndObject();
            }
            stdout.WriteByte((byte)'\n');
            return 0;
        });
        return cmd;
    }
}
